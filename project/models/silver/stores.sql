-- The store master from the ERP: the latest record per store.
{{ config(materialized='table') }}

with src as (
  select event_id, payload::json as j, _accepted_at
  from {{ source('bronze', 'erp_stores') }}
  where json_valid(payload)
)
select
  j->>'store_id' as store_id,
  j->>'name' as name,
  j->>'city' as city,
  j->>'region' as region,
  j->>'format' as format,
  j->>'opens' as opens,
  j->>'closes' as closes,
  try_cast(j->>'event_ts' as timestamptz) as updated_at,
  _accepted_at
from src
where (j->>'store_id') is not null
qualify row_number() over (partition by (j->>'store_id') order by try_cast(j->>'event_ts' as timestamptz) desc, event_id desc) = 1
