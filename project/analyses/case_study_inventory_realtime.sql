-- The case study's inventory model, kept beside Freshet's for comparison (ARCHITECTURE.md, "A note
-- on the reference inventory model"). Its text was not published with the case study, so this is
-- written to its description, against this project's silver models: an incremental merge keyed
-- by store and SKU that
--   (a) filters its incremental runs on max(last_event) of {{ this }}, a column it never selects,
--       so its first incremental run fails;
--   (b) reports a SKU that sold without any count as OK with a NULL projected quantity;
--   (c) would, on a merge, keep only the movements since the last run;
--   (d) subtracts sales made before the last count from that count;
--   (e) never revisits a row for a late event.
-- It is an analysis (compiled, not run by the loop): `freshet verify` builds it once, as its first
-- full build, from the lake's silver tables and counts where it disagrees with the oracle.
{{ config(materialized='incremental', unique_key=['store_id', 'sku']) }}

WITH latest_inventory AS (
    SELECT store_id, sku, counted_qty AS quantity, counted_at
    FROM {{ ref('count_lines') }}
    QUALIFY ROW_NUMBER() OVER (PARTITION BY store_id, sku ORDER BY counted_at DESC) = 1
),
sales AS (
    SELECT store_id, sku, SUM(qty) AS units_sold, MAX(event_at) AS last_event
    FROM {{ ref('pos_lines') }}
    WHERE kind = 'sale'
    {% if is_incremental() %}
      AND event_at > (SELECT MAX(last_event) FROM {{ this }})
    {% endif %}
    GROUP BY store_id, sku
)
SELECT
    s.store_id,
    s.sku,
    i.quantity - s.units_sold AS projected_qty,
    CASE WHEN i.quantity - s.units_sold < 5 THEN 'LOW' ELSE 'OK' END AS status,
    CURRENT_TIMESTAMP AS updated_at
FROM sales s
LEFT JOIN latest_inventory i ON s.store_id = i.store_id AND s.sku = i.sku
