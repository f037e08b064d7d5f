-- Inter-store transfer lines, typed and deduplicated: one row per (event_id, line_no). Each end
-- of a transfer reports its own event: `out` at the sending store when the goods leave (stock
-- −qty there), `in` at the receiving store when they arrive (+qty). movement_qty is that effect.
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  {{ new_bronze_events('inventory_transfers') }}
),
typed as (
  select
    event_id,
    j->>'transfer_id' as transfer_id,
    j->>'store_id' as store_id,
    j->>'direction' as direction,
    j->>'other_store_id' as other_store_id,
    try_cast(j->>'event_ts' as timestamptz) as event_at,
    from_json(j->'lines', '[{"sku":"VARCHAR","qty":"INTEGER"}]') as lines,
    _accepted_at, _ingested_at, _partition, _offset
  from src
  where {{ reject_reason('inventory_transfers') }} is null
),
exploded as (
  select t.* exclude (lines), unnest(t.lines) as l, generate_subscripts(t.lines, 1) as line_no
  from typed t
)
select
  event_id,
  line_no,
  transfer_id,
  store_id,
  l.sku as sku,
  direction,
  other_store_id,
  l.qty as qty,
  case direction when 'out' then -l.qty else l.qty end as movement_qty,
  event_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from exploded n
where true {{ not_loaded_yet('n') }}
{{ first_copy('event_id, line_no') }}
