-- Sales per store and IST hour (docs/retail-events.md, "Sales semantics"): the hours a store
-- manager reads, from the POS lines in silver. Late and out-of-order bills land in their own
-- hour whenever they arrive: each run recomputes, from all their lines, the (store, hour) pairs
-- that received a silver row since the last run (the same _loaded_at/_computed_at rule as
-- inventory_realtime).
{{ config(
    materialized='incremental',
    unique_key=['store_id', 'date_ist', 'hour_ist'],
    incremental_strategy='delete+insert'
) }}

with lines as (
  select
    store_id, bill_id, kind, qty, net_amount_paise,
    -- IST is UTC+05:30 all year; sessions run in UTC, so shifting the instant gives local time.
    cast(event_at + interval 330 minute as date) as date_ist,
    hour(event_at + interval 330 minute) as hour_ist,
    _loaded_at
  from {{ ref('pos_lines') }}
),
{% if is_incremental() %}
changed as (
  select distinct store_id, date_ist, hour_ist from lines
  where _loaded_at > (select coalesce(max(_computed_at), '-infinity'::timestamptz) from {{ this }})
),
{% endif %}
picked as (
  select * from lines
  {% if is_incremental() %}
  where (store_id, date_ist, hour_ist) in (select store_id, date_ist, hour_ist from changed)
  {% endif %}
)
select
  store_id,
  date_ist,
  hour_ist,
  count(distinct bill_id) filter (where kind = 'sale') as bills,
  coalesce(sum(qty) filter (where kind = 'sale'), 0)::bigint as units_sold,
  coalesce(sum(qty) filter (where kind = 'return'), 0)::bigint as units_returned,
  coalesce(sum(net_amount_paise) filter (where kind = 'sale'), 0)::bigint as sales_paise,
  coalesce(sum(net_amount_paise) filter (where kind = 'return'), 0)::bigint as returns_paise,
  coalesce(sum(qty) filter (where kind = 'void'), 0)::bigint as units_voided,
  coalesce(sum(net_amount_paise) filter (where kind = 'void'), 0)::bigint as voids_paise,
  (coalesce(sum(net_amount_paise) filter (where kind = 'sale'), 0)
    - coalesce(sum(net_amount_paise) filter (where kind = 'return'), 0)
    - coalesce(sum(net_amount_paise) filter (where kind = 'void'), 0))::bigint as net_sales_paise,
  now() as _computed_at
from picked
group by store_id, date_ist, hour_ist
