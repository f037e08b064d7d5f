-- Stock count lines (cycle and full counts), typed and deduplicated by (event_id, line_no).
-- line_no is the line's position in the count; if a count lists a SKU twice, the later line wins.
-- A count states what was on the shelf at counted_at.
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  {{ new_bronze_events('inventory_counts') }}
),
typed as (
  select
    event_id,
    j->>'count_id' as count_id,
    j->>'store_id' as store_id,
    j->>'count_type' as count_type,
    try_cast(j->>'event_ts' as timestamptz) as counted_at,
    from_json(j->'lines', '[{"sku":"VARCHAR","counted_qty":"INTEGER"}]') as lines,
    _accepted_at, _ingested_at, _partition, _offset
  from src
  where {{ reject_reason('inventory_counts') }} is null
),
exploded as (
  select t.* exclude (lines), unnest(t.lines) as l, generate_subscripts(t.lines, 1) as line_no
  from typed t
)
select
  event_id,
  line_no,
  count_id,
  store_id,
  l.sku as sku,
  count_type,
  l.counted_qty as counted_qty,
  counted_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from exploded n
where true {{ not_loaded_yet('n') }}
{{ first_copy('event_id, line_no') }}
