-- Sales by SKU and day, with the number of stores that sold it; (SKU, day) pairs with new lines
-- are recomputed from all their lines (a distinct count cannot be added up).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['sku', 'sale_date']
) }}

{% if is_incremental() %}
with changed as (
    select distinct sku, sale_date
    from {{ ref('sales') }}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
)
{% endif %}
select
    s.sku,
    s.sale_date,
    count(*) as lines,
    cast(sum(s.qty) as bigint) as units,
    sum(s.amount) as revenue,
    count(distinct s.store_id) as stores,
    max(s._loaded_at) as _loaded_at
from {{ ref('sales') }} s
{% if is_incremental() %}
join changed c on c.sku = s.sku and c.sale_date = s.sale_date
{% endif %}
group by s.sku, s.sale_date
