-- Online-order reservations: reserve, release, fulfil. Deduplicated by event_id.
{{ config(unique_key='event_id') }}

with src as (
  {{ new_bronze_events('orders_reservations') }}
)
select
  event_id,
  j->>'reservation_id' as reservation_id,
  j->>'order_id' as order_id,
  j->>'store_id' as store_id,
  j->>'sku' as sku,
  j->>'action' as action,
  try_cast(j->>'qty' as integer) as qty,
  try_cast(j->>'event_ts' as timestamptz) as event_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from src n
where {{ reject_reason('orders_reservations') }} is null {{ not_loaded_yet('n') }}
{{ first_copy('event_id') }}
