-- Store health (docs/store-health-and-forecast.md): one row per store of the master with its
-- last POS and last activity, and whether its tills have gone silent while it should be trading.
--
-- Silence is judged against the chain's own clock, chain_watermark = the latest POS event time in
-- the whole chain, not the wall clock: a replay of a past day and the oracle
-- (src/retail/store-health-oracle.ts) give the same answer, and gold stays deterministic. Late
-- events and skewed store clocks count as they come: the max is what it is. How long ago the
-- store was last heard of (now() − last_accepted_at) is added by the API when it reads the row.
--
-- pos_gap_minutes = chain_watermark − last_pos_at in minutes, rounded half up to 2 decimals, in
-- integer milliseconds (1/100 minute = 600 ms) so that SQL and the oracle get the same double.
-- A store is silent when the watermark's IST time of day lies in its opening hours
-- [opens, closes) and it has rung no bill for more than var('silent_pos_minutes') minutes of
-- chain time (or never). A closed store is never silent.
{{ config(materialized='table') }}

with pos as (
  select
    store_id,
    max(event_at) as last_pos_at,
    count(distinct bill_id) as pos_bills
  from {{ ref('pos_lines') }}
  group by store_id
),

activity as (
  select store_id, event_at, _accepted_at from {{ ref('pos_lines') }}
  union all
  select store_id, counted_at, _accepted_at from {{ ref('count_lines') }}
  union all
  select store_id, event_at, _accepted_at from {{ ref('reservations') }}
  union all
  select store_id, event_at, _accepted_at from {{ ref('shipment_lines') }}
),

last_activity as (
  select store_id, max(event_at) as last_event_at, max(_accepted_at) as last_accepted_at
  from activity
  group by store_id
),

chain as (
  select
    max(event_at) as chain_watermark,
    -- The watermark's IST minute of day (IST is UTC+05:30 all year).
    ((epoch_ms(max(event_at)) + 19800000) % 86400000) // 60000 as watermark_minute
  from {{ ref('pos_lines') }}
),

stores as (
  select
    *,
    try_cast(split_part(opens, ':', 1) as integer) * 60 + try_cast(split_part(opens, ':', 2) as integer) as opens_minute,
    try_cast(split_part(closes, ':', 1) as integer) * 60 + try_cast(split_part(closes, ':', 2) as integer) as closes_minute
  from {{ ref('stores') }}
),

joined as (
  select
    s.store_id,
    s.name,
    s.city,
    s.region,
    s.format,
    s.opens,
    s.closes,
    p.last_pos_at,
    a.last_event_at,
    a.last_accepted_at,
    coalesce(p.pos_bills, 0) as pos_bills,
    c.chain_watermark,
    ((epoch_ms(c.chain_watermark) - epoch_ms(p.last_pos_at) + 300) // 600)::double / 100 as pos_gap_minutes,
    coalesce(c.watermark_minute >= s.opens_minute and c.watermark_minute < s.closes_minute, false) as open_at_watermark
  from stores s
  left join pos p using (store_id)
  left join last_activity a using (store_id)
  cross join chain c
)

select
  *,
  open_at_watermark and (last_pos_at is null or pos_gap_minutes > {{ var('silent_pos_minutes') }}) as is_silent,
  {{ var('silent_pos_minutes') }} as silent_after_minutes
from joined
