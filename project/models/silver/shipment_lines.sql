-- Shipment status events from the logistics API, one row per line, deduplicated by
-- (event_id, line_no). A shipment may carry the same SKU on two lines (two pallets): both count.
-- Only lines of a 'received' event move stock (by qty_received).
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  {{ new_bronze_events('logistics_shipments') }}
),
typed as (
  select
    event_id,
    j->>'shipment_id' as shipment_id,
    j->>'store_id' as store_id,
    j->>'dc_id' as dc_id,
    j->>'status' as status,
    try_cast(j->>'eta' as timestamptz) as eta,
    try_cast(j->>'event_ts' as timestamptz) as event_at,
    from_json(j->'lines', '[{"sku":"VARCHAR","qty_dispatched":"INTEGER","qty_received":"INTEGER"}]') as lines,
    _accepted_at, _ingested_at, _partition, _offset
  from src
  where {{ reject_reason('logistics_shipments') }} is null
),
exploded as (
  select t.* exclude (lines), unnest(t.lines) as l, generate_subscripts(t.lines, 1) as line_no
  from typed t
)
select
  event_id,
  line_no,
  shipment_id,
  store_id,
  dc_id,
  status,
  l.sku as sku,
  l.qty_dispatched as qty_dispatched,
  l.qty_received as qty_received,
  eta,
  event_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from exploded n
where true {{ not_loaded_yet('n') }}
{{ first_copy('event_id, line_no') }}
