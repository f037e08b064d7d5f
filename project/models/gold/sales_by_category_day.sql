-- Sales per product category and IST day. Category is the product master's current one
-- ('unknown' when the master does not know the SKU).
{{ config(materialized='table') }}

select
  s.date_ist,
  coalesce(p.category, 'unknown') as category,
  sum(s.units_sold)::bigint as units_sold,
  sum(s.units_returned)::bigint as units_returned,
  sum(s.sales_paise)::bigint as sales_paise,
  sum(s.returns_paise)::bigint as returns_paise,
  sum(s.units_voided)::bigint as units_voided,
  sum(s.voids_paise)::bigint as voids_paise,
  (sum(s.sales_paise) - sum(s.returns_paise) - sum(s.voids_paise))::bigint as net_sales_paise
from {{ ref('sales_by_sku_day') }} s
left join {{ ref('products') }} p using (sku)
group by 1, 2
