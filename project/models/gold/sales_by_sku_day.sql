-- Sales per SKU and IST day, across stores: the base of sales_by_category_day (a SKU's
-- category is looked up when that small table is built, so a product moved to another category
-- shows under its current one). Incremental like sales_by_store_hour.
{{ config(
    materialized='incremental',
    unique_key=['sku', 'date_ist'],
    incremental_strategy='delete+insert'
) }}

with lines as (
  select sku, kind, qty, net_amount_paise,
    cast(event_at + interval 330 minute as date) as date_ist,
    _loaded_at
  from {{ ref('pos_lines') }}
),
{% if is_incremental() %}
changed as (
  select distinct sku, date_ist from lines
  where _loaded_at > (select coalesce(max(_computed_at), '-infinity'::timestamptz) from {{ this }})
),
{% endif %}
picked as (
  select * from lines
  {% if is_incremental() %}where (sku, date_ist) in (select sku, date_ist from changed){% endif %}
)
select
  sku,
  date_ist,
  coalesce(sum(qty) filter (where kind = 'sale'), 0)::bigint as units_sold,
  coalesce(sum(qty) filter (where kind = 'return'), 0)::bigint as units_returned,
  coalesce(sum(net_amount_paise) filter (where kind = 'sale'), 0)::bigint as sales_paise,
  coalesce(sum(net_amount_paise) filter (where kind = 'return'), 0)::bigint as returns_paise,
  coalesce(sum(qty) filter (where kind = 'void'), 0)::bigint as units_voided,
  coalesce(sum(net_amount_paise) filter (where kind = 'void'), 0)::bigint as voids_paise,
  now() as _computed_at
from picked
group by sku, date_ist
