-- Sales by store and day. Each run recomputes, from all their lines, the (store, day) pairs that
-- received a line since the last run, so late lines count on the day they happened.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['store_id', 'sale_date']
) }}

{% if is_incremental() %}
with changed as (
    select distinct store_id, sale_date
    from {{ ref('sales') }}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
)
{% endif %}
select
    s.store_id,
    s.sale_date,
    s.region,
    count(*) as lines,
    cast(sum(s.qty) as bigint) as units,
    sum(s.amount) as revenue,
    count(*) filter (where s.qty < 0) as return_lines,
    max(s._loaded_at) as _loaded_at
from {{ ref('sales') }} s
{% if is_incremental() %}
join changed c on c.store_id = s.store_id and c.sale_date = s.sale_date
{% endif %}
group by s.store_id, s.sale_date, s.region
