-- Real-time inventory per store and SKU (docs/retail-events.md, "Inventory semantics").
--
-- Unlike the case study's model, this one
--   * starts from the last count by event time and adds only movements strictly after it,
--     so movements a count already reflects are not counted twice;
--   * recomputes each changed (store, sku) from ALL its silver rows, so a late event counts
--     exactly as if it had arrived on time and a merge never drops earlier movements;
--   * reports a SKU that was never counted as UNKNOWN with a NULL quantity, never as OK;
--   * compares available stock with a threshold per category, not one magic number.
--
-- Incremental: a run recomputes only the pairs that received a silver row since the last run.
-- Silver rows carry _loaded_at (the start of the run that loaded them) and gold rows
-- _computed_at (the start of the run that computed them); both are the same transaction's now(),
-- so "loaded after the newest computed row" is exactly "new since the last run", with no window.
{{ config(
    materialized='incremental',
    unique_key=['store_id', 'sku'],
    incremental_strategy='delete+insert'
) }}

{#- (CTE name, silver model): a list of pairs, which Jinja and nunjucks iterate alike. -#}
{% set sources = [['pos', 'pos_lines'], ['counts', 'count_lines'], ['resv', 'reservations'], ['ships', 'shipment_lines'], ['xfers', 'transfer_lines']] %}

with
{% if is_incremental() %}
changed as (
  {% for pair in sources %}
  select store_id, sku from {{ ref(pair[1]) }}
  where _loaded_at > (select coalesce(max(_computed_at), '-infinity'::timestamptz) from {{ this }})
  {% if not loop.last %}union{% endif %}
  {% endfor %}
),
{% endif %}

{% for pair in sources %}
{{ pair[0] }} as (
  select * from {{ ref(pair[1]) }}
  {% if is_incremental() %}where (store_id, sku) in (select store_id, sku from changed){% endif %}
),
{% endfor %}

last_count as (
  select store_id, sku, counted_qty, counted_at
  from counts
  qualify row_number() over (partition by store_id, sku order by counted_at desc, event_id desc, line_no desc) = 1
),

movements as (
  select store_id, sku, movement_qty as qty, event_at from pos
  union all
  select store_id, sku, qty_received, event_at from ships where status = 'received' and qty_received is not null
  union all
  select store_id, sku, -qty, event_at from resv where action = 'fulfil'
  union all
  select store_id, sku, movement_qty, event_at from xfers
),

net as (
  select m.store_id, m.sku, sum(m.qty) as net_movement
  from movements m
  left join last_count c using (store_id, sku)
  where c.counted_at is null or m.event_at > c.counted_at
  group by all
),

reserved as (
  select store_id, sku, greatest(0, sum(case action when 'reserve' then qty else -qty end)) as reserved_qty
  from resv
  group by all
),

-- Every event of a pair makes its row and can be its latest event: shipments in any status too
-- (a dispatched shipment is news to the store before it moves stock).
touched as (
  select store_id, sku, event_at, _accepted_at from pos
  union all
  select store_id, sku, event_at, _accepted_at from ships
  union all
  select store_id, sku, counted_at, _accepted_at from counts
  union all
  select store_id, sku, event_at, _accepted_at from resv
  union all
  select store_id, sku, event_at, _accepted_at from xfers
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
  last_accepted_at,
  now() as _computed_at
from joined
