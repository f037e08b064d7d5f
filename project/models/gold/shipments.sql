-- One row per shipment from a distribution centre to a store (docs/retail-events.md,
-- "Shipment semantics"): its latest status, when it left and arrived, what was dispatched and
-- what was received, the shrinkage between them, and whether it was ever delayed. Incremental
-- like the other marts: a run recomputes, from all their lines, the shipments that received a
-- silver row since the last run.
{{ config(
    materialized='incremental',
    unique_key=['store_id', 'shipment_id'],
    incremental_strategy='delete+insert'
) }}

with
{% if is_incremental() %}
changed as (
  select distinct store_id, shipment_id from {{ ref('shipment_lines') }}
  where _loaded_at > (select coalesce(max(_computed_at), '-infinity'::timestamptz) from {{ this }})
),
{% endif %}
lines as (
  select * from {{ ref('shipment_lines') }}
  {% if is_incremental() %}
  where (store_id, shipment_id) in (select store_id, shipment_id from changed)
  {% endif %}
),
events as (
  select
    store_id, shipment_id, event_id,
    any_value(dc_id) as dc_id,
    any_value(status) as status,
    any_value(eta) as eta,
    any_value(event_at) as event_at,
    sum(coalesce(qty_dispatched, 0)) as units_dispatched,
    sum(qty_received) as units_received
  from lines
  group by store_id, shipment_id, event_id
),
latest as (
  select * from events
  qualify row_number() over (partition by store_id, shipment_id order by event_at desc, event_id desc) = 1
),
summary as (
  select
    store_id, shipment_id,
    min(event_at) filter (where status = 'dispatched') as dispatched_at,
    min(event_at) filter (where status = 'received') as received_at,
    sum(units_received) filter (where status = 'received') as units_received,
    bool_or(status = 'delayed') as was_delayed,
    arg_max(eta, (event_at, event_id)) filter (where eta is not null) as eta
  from events
  group by store_id, shipment_id
)
select
  l.store_id,
  l.shipment_id,
  l.dc_id,
  l.status,
  s.dispatched_at,
  s.eta,
  s.received_at,
  l.units_dispatched::bigint as units_dispatched,
  s.units_received::bigint as units_received,
  (l.units_dispatched - s.units_received)::bigint as shrinkage_units,
  coalesce(s.was_delayed, false) as was_delayed,
  l.status <> 'received' as incoming,
  l.event_at as last_event_at,
  now() as _computed_at
from latest l
join summary s using (store_id, shipment_id)
