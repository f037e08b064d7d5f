-- Real-time inventory per store and SKU (docs/retail-events.md, "Inventory semantics").
--
-- Unlike the case study's model, this one
--   * starts from the last count by event time and adds only movements strictly after it,
--     so movements a count already reflects are not counted twice;
--   * recomputes each (store, sku) from every silver row, so late events count exactly as if
--     they had arrived on time and nothing is lost between runs;
--   * reports a SKU that was never counted as UNKNOWN with a NULL quantity, never as OK;
--   * compares available stock with a threshold per category, not one magic number.

with last_count as (
  select store_id, sku, counted_qty, counted_at
  from {{ ref('count_lines') }}
  qualify row_number() over (partition by store_id, sku order by counted_at desc, event_id desc, line_no desc) = 1
),

movements as (
  select store_id, sku, movement_qty as qty, event_at, _accepted_at
  from {{ ref('pos_lines') }}
  union all
  select store_id, sku, qty_received, event_at, _accepted_at
  from {{ ref('shipment_lines') }}
  where status = 'received' and qty_received is not null
  union all
  select store_id, sku, -qty, event_at, _accepted_at
  from {{ ref('reservations') }}
  where action = 'fulfil'
),

net as (
  select m.store_id, m.sku, sum(m.qty) as net_movement
  from movements m
  left join last_count c using (store_id, sku)
  where c.counted_at is null or m.event_at > c.counted_at
  group by all
),

reserved as (
  select store_id, sku,
    greatest(0, sum(case action when 'reserve' then qty else -qty end)) as reserved_qty
  from {{ ref('reservations') }}
  group by all
),

-- Every event of a (store, sku) makes its row and can be its latest event: shipments in any
-- status too (a dispatched shipment is news to the store before it moves stock).
touched as (
  select store_id, sku, event_at, _accepted_at from {{ ref('pos_lines') }}
  union all
  select store_id, sku, event_at, _accepted_at from {{ ref('shipment_lines') }}
  union all
  select store_id, sku, counted_at, _accepted_at from {{ ref('count_lines') }}
  union all
  select store_id, sku, event_at, _accepted_at from {{ ref('reservations') }}
),

keys as (
  select store_id, sku, max(event_at) as last_event_at, max(_accepted_at) as last_accepted_at
  from touched
  group by all
),

default_threshold as (
  select low_stock_threshold from {{ ref('category_thresholds') }} where category = 'default'
),

thresholds as (
  select p.sku, p.category, t.low_stock_threshold
  from {{ ref('products') }} p
  left join {{ ref('category_thresholds') }} t on t.category = p.category
),

joined as (
  select
    k.store_id,
    k.sku,
    p.category,
    c.counted_qty,
    c.counted_at,
    coalesce(n.net_movement, 0) as net_movement,
    c.counted_qty + coalesce(n.net_movement, 0) as projected_qty,
    coalesce(r.reserved_qty, 0) as reserved_qty,
    c.counted_qty + coalesce(n.net_movement, 0) - coalesce(r.reserved_qty, 0) as available_qty,
    coalesce(p.low_stock_threshold, (select low_stock_threshold from default_threshold)) as low_stock_threshold,
    k.last_event_at,
    k.last_accepted_at
  from keys k
  left join last_count c using (store_id, sku)
  left join net n using (store_id, sku)
  left join reserved r using (store_id, sku)
  left join thresholds p using (sku)
)

select
  store_id,
  sku,
  category,
  counted_qty,
  counted_at,
  net_movement::bigint as net_movement,
  projected_qty::bigint as projected_qty,
  reserved_qty::bigint as reserved_qty,
  available_qty::bigint as available_qty,
  low_stock_threshold,
  case
    when counted_qty is null then 'UNKNOWN'
    when available_qty < 0 then 'OVERSOLD'
    when available_qty <= low_stock_threshold then 'LOW'
    else 'OK'
  end as status,
  last_event_at,
  last_accepted_at
from joined
