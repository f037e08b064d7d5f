-- Sales by category and day, from the SKU-day mart: the (category, day) pairs whose SKU-days
-- changed in this run are recomputed from all their SKU-days.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['category', 'sale_date']
) }}

{% if is_incremental() %}
with changed as (
    select distinct p.category, d.sale_date
    from {{ ref('daily_sku_sales') }} d
    join {{ ref('stg_products') }} p on p.sku = d.sku
    where d._loaded_at > (select max(_loaded_at) from {{ this }})
)
{% endif %}
select
    p.category,
    d.sale_date,
    cast(sum(d.lines) as bigint) as lines,
    cast(sum(d.units) as bigint) as units,
    sum(d.revenue) as revenue,
    max(d._loaded_at) as _loaded_at
from {{ ref('daily_sku_sales') }} d
join {{ ref('stg_products') }} p on p.sku = d.sku
{% if is_incremental() %}
join changed c on c.category = p.category and c.sale_date = d.sale_date
{% endif %}
group by p.category, d.sale_date
