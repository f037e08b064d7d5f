-- Running totals per store and SKU since the first sale: each run adds the new lines to the
-- totals it already holds (reading its own table, only the pairs that sold again) instead of
-- rescanning every line.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['store_id', 'sku']
) }}

with new_sales as (
    select
        store_id,
        sku,
        count(*) as lines,
        cast(sum(qty) as bigint) as units,
        sum(amount) as revenue,
        max(event_ts) as last_sold_at,
        max(_loaded_at) as _loaded_at
    from {{ ref('sales') }}
    {% if is_incremental() %}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
    {% endif %}
    group by store_id, sku
)
{% if is_incremental() %}
, previous as (
    select *
    from {{ this }}
    where (store_id, sku) in (select store_id, sku from new_sales)
)
{% endif %}
select
    n.store_id,
    n.sku,
{% if is_incremental() %}
    n.lines + coalesce(t.lines, 0) as lines,
    n.units + coalesce(t.units, 0) as units,
    n.revenue + coalesce(t.revenue, 0) as revenue,
    greatest(n.last_sold_at, t.last_sold_at) as last_sold_at,
{% else %}
    n.lines,
    n.units,
    n.revenue,
    n.last_sold_at,
{% endif %}
    n._loaded_at
from new_sales n
{% if is_incremental() %}
left join previous t on t.store_id = n.store_id and t.sku = n.sku
{% endif %}
