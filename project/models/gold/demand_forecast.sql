-- Demand forecast (docs/store-health-and-forecast.md): for every (store, SKU) that has
-- POS sales, tomorrow's expected units — tomorrow being the IST day after the chain watermark's
-- IST date — with stock cover, stockout risk and a replenishment suggestion. The oracle is
-- src/retail/forecast-oracle.ts.
--
-- Method, a seasonal rate:
--   * demand units = Σ sale qty − Σ void qty of the pair's POS lines (a void cancels a sale's
--     line; returns are not demand), over the trailing window [window_start, window_end]:
--     the 7 × 24 hours up to the chain watermark (the latest POS event time in the chain), or
--     from the chain's first POS event when its history is shorter;
--   * each IST hour the window touches weighs HOUR_SHAPE[hour] × WEEKDAY_SHAPE[dow] ×
--     volume_lift(date) × category_lift(date, category) (1 where the holiday calendar has no
--     row) × the share of the hour inside the window (the hour holding the watermark counts by
--     the fraction elapsed);
--   * base = max(units, 0) / Σ window weights (0 when the window is empty);
--     forecast_units = base × Σ over the 24 hours of the forecast day of the same weights,
--     rounded half up to 2 decimals;
--   * days_of_cover = available_qty / forecast_units (2 decimals; NULL when never counted or the
--     forecast is 0); stockout_risk UNKNOWN (never counted), OUT (available ≤ 0), HIGH (cover
--     < 1), MEDIUM (< 3), else LOW;
--   * suggested_replenishment_qty = greatest(0, ceil(forecast_units × (lead_time_days +
--     safety_days)) + low_stock_threshold − available_qty), NULL when never counted.
-- The hour and weekday shapes and the calendar are seeds generated from the simulator's own
-- tables (src/retail/demand-seeds.ts), so the forecast and the chain agree on what normal is.
--
-- Arithmetic is in DOUBLE in the order the oracle uses; sums may add up in another order, so
-- verify compares the decimal columns within 0.01.
--
-- Materialized as a table, rebuilt every run: the watermark moves with every POS event, which
-- moves the window and the weight of its last hour, so every row changes on every run anyway.
{{ config(materialized='table') }}

{%- set hour_ms = 3600000 %}
{%- set day_ms = 86400000 %}
{%- set ist_ms = 19800000 %}

with pos as (
  select store_id, sku, kind, qty, event_at from {{ ref('pos_lines') }}
),

bounds as (
  select
    max(event_at) as window_end,
    greatest(max(event_at) - interval 168 hours, min(event_at)) as window_start
  from pos
  having count(*) > 0
),

clock as (
  select
    window_start,
    window_end,
    epoch_ms(window_start) as s_ms,
    epoch_ms(window_end) as w_ms,
    epoch_ms(window_start) + {{ ist_ms }} as s_local,
    epoch_ms(window_end) + {{ ist_ms }} as w_local,
    date '1970-01-01' + ((epoch_ms(window_end) + {{ ist_ms }}) // {{ day_ms }} + 1)::integer as forecast_date
  from bounds
),

-- Every IST hour the window touches, with the share of it inside the window.
slots as (
  select
    (slot // {{ hour_ms }}) % 24 as hour_ist,
    date '1970-01-01' + (slot // {{ day_ms }})::integer as date_ist,
    (least(w_local, slot + {{ hour_ms }}) - greatest(s_local, slot))::double / {{ hour_ms }} as fraction
  from (
    select unnest(generate_series(s_local // {{ hour_ms }} * {{ hour_ms }}, w_local // {{ hour_ms }} * {{ hour_ms }}, {{ hour_ms }})) as slot, s_local, w_local
    from clock
  )
),

demand as (
  select
    p.store_id,
    p.sku,
    coalesce(sum(case p.kind when 'sale' then p.qty when 'void' then -p.qty else 0 end)
      filter (where epoch_ms(p.event_at) between c.s_ms and c.w_ms), 0)::bigint as units_in_window
  from pos p
  cross join clock c
  group by p.store_id, p.sku
  having bool_or(p.kind = 'sale')
),

categorized as (
  select d.*, coalesce(pr.category, 'unknown') as category
  from demand d
  left join {{ ref('products') }} pr using (sku)
),

day_lifts as (
  select date_ist, max(volume_lift) as volume_lift, max(event) as event
  from {{ ref('holiday_calendar') }}
  group by date_ist
),

-- Hour × weekday × volume × category weight of an IST hour, per category in use.
hour_weights as (
  select k.category, h.date_ist, h.hour_ist, h.fraction,
    hs.weight * ws.weight * coalesce(dl.volume_lift, 1) * coalesce(cl.category_lift, 1) as weight
  from (
    select date_ist, hour_ist, fraction, false as forecast_day from slots
    union all
    select c.forecast_date, hs.hour_ist, null, true from clock c cross join {{ ref('hour_shape') }} hs
  ) h
  cross join (select distinct category from categorized) k
  join {{ ref('hour_shape') }} hs on hs.hour_ist = h.hour_ist
  join {{ ref('weekday_shape') }} ws on ws.dow = dayofweek(h.date_ist)
  left join day_lifts dl on dl.date_ist = h.date_ist
  left join {{ ref('holiday_calendar') }} cl on cl.date_ist = h.date_ist and cl.category = k.category
),

category_weights as (
  select
    category,
    coalesce(sum(weight * fraction) filter (where fraction is not null), 0) as window_weight,
    sum(weight) filter (where fraction is null) as day_weight
  from hour_weights
  group by category
),

forecast as (
  select
    d.store_id,
    d.sku,
    d.category,
    c.forecast_date,
    dl.event,
    c.window_start,
    c.window_end,
    d.units_in_window,
    case when w.window_weight > 0
      then floor(greatest(d.units_in_window, 0)::double / w.window_weight * w.day_weight * 100 + 0.5) / 100
      else 0::double
    end as forecast_units,
    i.available_qty,
    i.low_stock_threshold
  from categorized d
  cross join clock c
  join category_weights w using (category)
  left join day_lifts dl on dl.date_ist = c.forecast_date
  left join {{ ref('inventory_realtime') }} i using (store_id, sku)
),

covered as (
  select
    *,
    case when available_qty is not null and forecast_units > 0
      then floor(available_qty::double / forecast_units * 100 + 0.5) / 100
    end as days_of_cover
  from forecast
)

select
  store_id,
  sku,
  category,
  forecast_date,
  event,
  window_start,
  window_end,
  units_in_window,
  forecast_units,
  available_qty,
  low_stock_threshold,
  days_of_cover,
  case
    when available_qty is null then 'UNKNOWN'
    when available_qty <= 0 then 'OUT'
    when days_of_cover < 1 then 'HIGH'
    when days_of_cover < 3 then 'MEDIUM'
    else 'LOW'
  end as stockout_risk,
  case when available_qty is not null then
    greatest(0, ceil(forecast_units * ({{ var('lead_time_days') }} + {{ var('safety_days') }}))::bigint + low_stock_threshold - available_qty)
  end::bigint as suggested_replenishment_qty
from covered
