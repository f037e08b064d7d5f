-- ERP price changes, typed and deduplicated by event_id: the selling price of a SKU from
-- effective_from on. A price above the MRP is refused (quarantine): Indian law forbids it.
{{ config(unique_key='event_id') }}

with src as (
  {{ new_bronze_events('erp_prices') }}
)
select
  event_id,
  j->>'sku' as sku,
  try_cast(j->>'price_paise' as bigint) as price_paise,
  try_cast(j->>'mrp_paise' as bigint) as mrp_paise,
  j->>'reason' as reason,
  try_cast(j->>'effective_from' as timestamptz) as effective_from,
  try_cast(j->>'event_ts' as timestamptz) as event_at,
  _accepted_at,
  _ingested_at,
  now() as _loaded_at
from src n
where {{ reject_reason('erp_prices') }} is null {{ not_loaded_yet('n') }}
{{ first_copy('event_id') }}
