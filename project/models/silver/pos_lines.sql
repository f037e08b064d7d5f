-- POS bill lines, typed and deduplicated: one row per (event_id, line_no).
-- movement_qty is the stock effect: a sale takes stock out, a return puts it back.
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  select event_id, payload::json as j, _accepted_at, _ingested_at, _partition, _offset
  from {{ source('bronze', 'pos_transactions') }}
  where json_valid(payload)
  {% if is_incremental() %} and _ingested_at > (select coalesce(max(_ingested_at), '-infinity'::timestamptz) from {{ this }}) - interval '{{ var("lookback_seconds") }} seconds' {% endif %}
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
),
exploded as (
  select t.* exclude (lines), l.line_no, l.sku, l.qty, l.unit_price_paise, l.discount_paise, l.gst_rate_pct
  from typed t cross join unnest(t.lines) as u(l)
)
select
  event_id,
  line_no,
  bill_id,
  store_id,
  sku,
  kind,
  tender,
  case kind when 'sale' then -qty else qty end as movement_qty,
  qty,
  unit_price_paise,
  discount_paise,
  gst_rate_pct,
  qty * unit_price_paise - coalesce(discount_paise, 0) as net_amount_paise,
  event_at,
  _accepted_at,
  _ingested_at,
  -- The run that loaded the row (its transaction's start); gold recomputes what changed since.
  now() as _loaded_at
from exploded n
where event_at is not null and store_id is not null and sku is not null
  and qty > 0 and kind in ('sale', 'return')
  {% if is_incremental() %}
  and not exists (select 1 from {{ this }} t where t.event_id = n.event_id)
  {% endif %}
qualify row_number() over (partition by event_id, line_no order by _accepted_at, _partition, _offset) = 1
