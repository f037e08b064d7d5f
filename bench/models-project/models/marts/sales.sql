-- Every POS line with its store and product attributes; appends the lines loaded since the last run.
{{ config(materialized='incremental', incremental_strategy='append') }}

select
    e.event_id,
    e.store_id,
    s.region,
    s.format,
    e.sku,
    p.category,
    e.event_type,
    e.qty,
    e.amount,
    e.event_ts,
    e.sale_date,
    e._loaded_at
from {{ ref('stg_events') }} e
join {{ ref('stg_stores') }} s on s.store_id = e.store_id
join {{ ref('stg_products') }} p on p.sku = e.sku
{% if is_incremental() %}
where e._loaded_at > (select max(_loaded_at) from {{ this }})
{% endif %}
