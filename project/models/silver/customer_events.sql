-- CRM loyalty activity, typed and deduplicated by event_id. The CRM sends no personal data
-- (no name, phone or e-mail): a customer id, the store, tier and points are all the models need.
{{ config(unique_key='event_id') }}

with src as (
  {{ new_bronze_events('crm_customers') }}
)
select
  event_id,
  j->>'customer_id' as customer_id,
  j->>'store_id' as store_id,
  j->>'action' as action,
  j->>'tier' as tier,
  try_cast(j->>'points_delta' as integer) as points_delta,
  try_cast(j->>'points_balance' as integer) as points_balance,
  try_cast(j->>'marketing_consent' as boolean) as marketing_consent,
  try_cast(j->>'event_ts' as timestamptz) as event_at,
  _accepted_at,
  _ingested_at,
  now() as _loaded_at
from src n
where {{ reject_reason('crm_customers') }} is null {{ not_loaded_yet('n') }}
{{ first_copy('event_id') }}
