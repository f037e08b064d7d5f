-- Online-order reservations: reserve, release, fulfil. Deduplicated by event_id.
{{ config(unique_key='event_id') }}

with src as (
  select event_id, payload::json as j, _accepted_at, _ingested_at, _partition, _offset
  from {{ source('bronze', 'orders_reservations') }}
  where json_valid(payload)
  {% if is_incremental() %} and _ingested_at > (select coalesce(max(_ingested_at), '-infinity'::timestamptz) from {{ this }}) - interval '{{ var("lookback_seconds") }} seconds' {% endif %}
),
typed as (
  select
    event_id,
    j->>'reservation_id' as reservation_id,
    j->>'order_id' as order_id,
    j->>'store_id' as store_id,
    j->>'sku' as sku,
    j->>'action' as action,
    try_cast(j->>'qty' as integer) as qty,
    try_cast(j->>'event_ts' as timestamptz) as event_at,
    _accepted_at, _ingested_at, _partition, _offset
  from src
)
select
  event_id, reservation_id, order_id, store_id, sku, action, qty, event_at, _accepted_at, _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from typed n
where event_at is not null and store_id is not null and sku is not null
  and qty > 0 and action in ('reserve', 'release', 'fulfil')
  {% if is_incremental() %}
  and not exists (select 1 from {{ this }} t where t.event_id = n.event_id)
  {% endif %}
qualify row_number() over (partition by event_id order by _accepted_at, _partition, _offset) = 1
