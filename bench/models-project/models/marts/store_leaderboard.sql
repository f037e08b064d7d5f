-- Stores ranked by revenue over the last 7 days of sales, chain-wide and within their region.
-- Small, so rebuilt whole every run.
{{ config(materialized='table') }}

with recent as (
    select store_id, region, sum(revenue) as revenue, cast(sum(units) as bigint) as units
    from {{ ref('daily_store_sales') }}
    where sale_date > (select max(sale_date) from {{ ref('daily_store_sales') }}) - 7
    group by store_id, region
)
select
    store_id,
    region,
    revenue,
    units,
    rank() over (order by revenue desc, store_id) as chain_rank,
    rank() over (partition by region order by revenue desc, store_id) as region_rank
from recent
