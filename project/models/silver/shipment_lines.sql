-- Shipment status events from the logistics API, one row per line, deduplicated by
-- (event_id, line_no). A shipment may carry the same SKU on two lines (two pallets): both count.
-- Only lines of a 'received' event move stock (by qty_received).
{{ config(unique_key=['event_id', 'line_no']) }}

with src as (
  select event_id, payload::json as j, _accepted_at, _ingested_at, _partition, _offset
  from {{ source('bronze', 'logistics_shipments') }}
  where json_valid(payload)
  {% if is_incremental() %} and _ingested_at > (select coalesce(max(_ingested_at), '-infinity'::timestamptz) from {{ this }}) - interval '{{ var("lookback_seconds") }} seconds' {% endif %}
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
where event_at is not null and store_id is not null and l.sku is not null
  and status in ('dispatched', 'in_transit', 'delayed', 'received')
  {% if is_incremental() %}
  and not exists (select 1 from {{ this }} t where t.event_id = n.event_id)
  {% endif %}
qualify row_number() over (partition by event_id, line_no order by _accepted_at, _partition, _offset) = 1
