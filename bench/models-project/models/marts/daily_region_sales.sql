-- Sales by region and day, from the store-day mart, recomputing the (region, day) pairs with
-- changed store-days.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['region', 'sale_date']
) }}

{% if is_incremental() %}
with changed as (
    select distinct region, sale_date
    from {{ ref('daily_store_sales') }}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
)
{% endif %}
select
    d.region,
    d.sale_date,
    count(*) as stores,
    cast(sum(d.lines) as bigint) as lines,
    cast(sum(d.units) as bigint) as units,
    sum(d.revenue) as revenue,
    max(d._loaded_at) as _loaded_at
from {{ ref('daily_store_sales') }} d
{% if is_incremental() %}
join changed c on c.region = d.region and c.sale_date = d.sale_date
{% endif %}
group by d.region, d.sale_date
