-- The product master from the ERP: the latest record per SKU.
{{ config(materialized='table') }}

with src as (
  select event_id, payload::json as j, _accepted_at
  from {{ source('bronze', 'erp_products') }}
  where json_valid(payload)
)
select
  j->>'sku' as sku,
  j->>'name' as name,
  j->>'category' as category,
  try_cast(j->>'pack_size' as integer) as pack_size,
  j->>'unit' as unit,
  try_cast(j->>'mrp_paise' as bigint) as mrp_paise,
  try_cast(j->>'gst_rate_pct' as integer) as gst_rate_pct,
  try_cast(j->>'event_ts' as timestamptz) as updated_at,
  _accepted_at
from src
where (j->>'sku') is not null
qualify row_number() over (partition by (j->>'sku') order by try_cast(j->>'event_ts' as timestamptz) desc, event_id desc) = 1
