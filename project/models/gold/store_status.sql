-- Every store of the master with its inventory status counts and when it last sent anything.
-- A store that has gone silent keeps an old last_accepted_at: the API turns that into a freshness
-- in seconds, so the dashboard shows a silent store as stale instead of showing old numbers as now.

with inv as (
  select
    store_id,
    count(*) as skus,
    count(*) filter (where status = 'OVERSOLD') as oversold,
    count(*) filter (where status = 'LOW') as low,
    count(*) filter (where status = 'OK') as ok,
    count(*) filter (where status = 'UNKNOWN') as unknown,
    max(last_event_at) as last_event_at,
    max(last_accepted_at) as last_accepted_at
  from {{ ref('inventory_realtime') }}
  group by store_id
),

sales as (
  select store_id,
    count(distinct bill_id) filter (where kind = 'sale') as bills,
    sum(case when kind = 'sale' then net_amount_paise else -net_amount_paise end) as net_sales_paise
  from {{ ref('pos_lines') }}
  group by store_id
)

select
  s.store_id,
  s.name,
  s.city,
  s.region,
  s.format,
  coalesce(i.skus, 0) as skus,
  coalesce(i.oversold, 0) as oversold,
  coalesce(i.low, 0) as low,
  coalesce(i.ok, 0) as ok,
  coalesce(i.unknown, 0) as unknown,
  coalesce(sa.bills, 0) as bills,
  coalesce(sa.net_sales_paise, 0)::bigint as net_sales_paise,
  i.last_event_at,
  i.last_accepted_at
from {{ ref('stores') }} s
left join inv i using (store_id)
left join sales sa using (store_id)
