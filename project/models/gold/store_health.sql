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
-- A store is silent when it has been open for more than var('silent_pos_minutes') minutes of
-- chain time without ringing a bill: silent_open_minutes counts the minutes of its opening hours
-- [opens, closes), day by day in IST, between its last bill (or the chain's first, if it never
-- rang one) and the watermark. So a store that closed minutes after its last bill is not silent
-- overnight, and one whose tills died at 07:00 is still silent after the chain has closed.
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
    min(event_at) as chain_first_pos,
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
    coalesce(c.watermark_minute >= s.opens_minute and c.watermark_minute < s.closes_minute, false) as open_at_watermark,
    s.opens_minute,
    s.closes_minute,
    epoch_ms(coalesce(p.last_pos_at, c.chain_first_pos)) as quiet_from_ms,
    epoch_ms(c.chain_watermark) as quiet_to_ms
  from stores s
  left join pos p using (store_id)
  left join last_activity a using (store_id)
  cross join chain c
),

-- Opening-hour milliseconds between the last bill and the watermark: each IST day in between
-- contributes the overlap of [day + opens, day + closes) with [quiet_from, quiet_to].
quiet as (
  select
    j.store_id,
    sum(greatest(0,
      least(j.quiet_to_ms, t.day * 86400000 - 19800000 + j.closes_minute * 60000)
      - greatest(j.quiet_from_ms, t.day * 86400000 - 19800000 + j.opens_minute * 60000)
    )) as open_ms
  from joined j,
    unnest(range((j.quiet_from_ms + 19800000) // 86400000, (j.quiet_to_ms + 19800000) // 86400000 + 1)) as t(day)
  where j.quiet_to_ms is not null and j.opens_minute is not null and j.closes_minute is not null
  group by j.store_id
)

select
  j.* exclude (opens_minute, closes_minute, quiet_from_ms, quiet_to_ms),
  -- Rounded half up to hundredths of a minute in integers, like pos_gap_minutes.
  ((coalesce(q.open_ms, 0) + 300) // 600)::double / 100 as silent_open_minutes,
  coalesce(q.open_ms, 0) > {{ var('silent_pos_minutes') }} * 60000 as is_silent,
  {{ var('silent_pos_minutes') }} as silent_after_minutes
from joined j
left join quiet q using (store_id)
