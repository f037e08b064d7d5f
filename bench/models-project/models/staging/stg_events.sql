-- Typed POS lines: a return counts negative; lines with no quantity are not sales.
select
    event_id,
    store_id,
    sku,
    event_type,
    case when event_type = 'return' then -qty else qty end as qty,
    unit_price,
    cast((case when event_type = 'return' then -qty else qty end) * unit_price as decimal(18, 2)) as amount,
    event_ts,
    cast(event_ts as date) as sale_date,
    _loaded_at
from {{ source('shop', 'events') }}
where qty > 0
