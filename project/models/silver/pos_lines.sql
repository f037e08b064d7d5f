-- POS bill lines, typed and deduplicated: one row per (event_id, line_no).
-- movement_qty is the stock effect: a sale takes stock out, a return puts it back.
-- Invalid events go to silver.quarantine with their reason instead.
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  {{ new_bronze_events('pos_transactions') }}
),
typed as (
  select
    event_id,
    j->>'bill_id' as bill_id,
    j->>'store_id' as store_id,
    j->>'kind' as kind,
    j->>'tender' as tender,
    try_cast(j->>'event_ts' as timestamptz) as event_at,
    from_json(j->'lines', '[{"line_no":"INTEGER","sku":"VARCHAR","qty":"INTEGER","unit_price_paise":"BIGINT","discount_paise":"BIGINT","gst_rate_pct":"INTEGER"}]') as lines,
    _accepted_at, _ingested_at, _partition, _offset
  from src
  where {{ reject_reason('pos_transactions') }} is null
),
exploded as (
  select t.* exclude (lines), unnest(t.lines) as l
  from typed t
)
select
  event_id,
  l.line_no as line_no,
  bill_id,
  store_id,
  l.sku as sku,
  kind,
  tender,
  case kind when 'sale' then -l.qty else l.qty end as movement_qty,
  l.qty as qty,
  l.unit_price_paise as unit_price_paise,
  l.discount_paise as discount_paise,
  l.gst_rate_pct as gst_rate_pct,
  l.qty * l.unit_price_paise - coalesce(l.discount_paise, 0) as net_amount_paise,
  event_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from exploded n
where true {{ not_loaded_yet('n') }}
{{ first_copy('event_id, l.line_no') }}
