{#-
  The bronze rows of a topic that an incremental silver model has not taken yet: those stamped
  (_ingested_at) after the newest it holds, minus var('lookback_seconds'). The payload comes
  parsed as `j` (NULL when it is not valid JSON, so reject_reason can say so).
  `holder_filter` narrows which of {{ this }}'s rows count, for a model that reads several topics.
  `also_seen_by` names a model that took the same rows in earlier runs (silver.quarantine and the
  silver model of a topic split its events between them): its newest stamp from before this run
  counts too, so a model that rarely keeps a row does not re-read all of bronze every run.
-#}
{% macro new_bronze_events(table_name, holder_filter='true', also_seen_by=none) -%}
  select
    event_id,
    payload,
    case when json_valid(payload) then payload::json end as j,
    _headers,
    _accepted_at,
    _ingested_at,
    _partition,
    _offset
  from {{ source('bronze', table_name) }}
  {% if is_incremental() %}
  where _ingested_at > greatest(
    (select coalesce(max(_ingested_at), '-infinity'::timestamptz) from {{ this }} where {{ holder_filter }}),
    {%- if also_seen_by %}
    -- now() is this run's start: rows the other model loaded in this very run do not count.
    (select coalesce(max(_ingested_at), '-infinity'::timestamptz) from {{ ref(also_seen_by) }} where _loaded_at < now())
    {%- else %}
    '-infinity'::timestamptz
    {%- endif %}
  ) - interval '{{ var("lookback_seconds") }} seconds'
  {% endif %}
{%- endmacro %}

{#-
  Why a bronze event cannot go to silver, or NULL when it can: the one definition of a valid
  event of each topic, used by the silver models (keep rows where it is NULL) and by
  silver.quarantine (keep the others, with the reason), so nothing is dropped silently.
-#}
{% macro reject_reason(topic) -%}
  case
    when j is null then 'payload is not valid JSON'
    when (j->>'event_id') is null then 'event_id is missing'
    when try_cast(j->>'event_ts' as timestamptz) is null then 'event_ts is missing or not a timestamp with an offset'
    {%- if topic != 'erp_prices' %}
    when (j->>'store_id') is null then 'store_id is missing'
    {%- endif %}
    {%- if topic == 'pos_transactions' %}
    when coalesce(j->>'kind', '') not in ('sale', 'return', 'void') then 'kind must be sale, return or void'
    when coalesce(json_array_length(j->'lines'), 0) = 0 then 'lines is missing or empty'
    when len(list_filter(from_json(j->'lines', '[{"sku":"VARCHAR","qty":"INTEGER"}]'), l -> l.sku is null or coalesce(l.qty, 0) < 1)) > 0
      then 'a line has no sku or a qty below 1'
    {%- elif topic == 'inventory_counts' %}
    when coalesce(json_array_length(j->'lines'), 0) = 0 then 'lines is missing or empty'
    when len(list_filter(from_json(j->'lines', '[{"sku":"VARCHAR","counted_qty":"INTEGER"}]'), l -> l.sku is null or coalesce(l.counted_qty, -1) < 0)) > 0
      then 'a line has no sku or a counted_qty below 0'
    {%- elif topic == 'orders_reservations' %}
    when (j->>'sku') is null then 'sku is missing'
    when coalesce(j->>'action', '') not in ('reserve', 'release', 'fulfil') then 'action must be reserve, release or fulfil'
    when coalesce(try_cast(j->>'qty' as integer), 0) < 1 then 'qty is missing or below 1'
    {%- elif topic == 'logistics_shipments' %}
    when coalesce(j->>'status', '') not in ('dispatched', 'in_transit', 'delayed', 'received') then 'status must be dispatched, in_transit, delayed or received'
    when coalesce(json_array_length(j->'lines'), 0) = 0 then 'lines is missing or empty'
    when len(list_filter(from_json(j->'lines', '[{"sku":"VARCHAR"}]'), l -> l.sku is null)) > 0 then 'a line has no sku'
    {%- elif topic == 'inventory_transfers' %}
    when coalesce(j->>'direction', '') not in ('out', 'in') then 'direction must be out or in'
    when coalesce(json_array_length(j->'lines'), 0) = 0 then 'lines is missing or empty'
    when len(list_filter(from_json(j->'lines', '[{"sku":"VARCHAR","qty":"INTEGER"}]'), l -> l.sku is null or coalesce(l.qty, 0) < 1)) > 0
      then 'a line has no sku or a qty below 1'
    {%- elif topic == 'erp_prices' %}
    when (j->>'sku') is null then 'sku is missing'
    when try_cast(j->>'price_paise' as bigint) is null or try_cast(j->>'price_paise' as bigint) < 0 then 'price_paise is missing or negative'
    when try_cast(j->>'price_paise' as bigint) > try_cast(j->>'mrp_paise' as bigint) then 'price_paise is above mrp_paise'
    when try_cast(j->>'effective_from' as timestamptz) is null then 'effective_from is missing or not a timestamp with an offset'
    {%- elif topic == 'crm_customers' %}
    when (j->>'customer_id') is null then 'customer_id is missing'
    when try_cast(j->>'points_balance' as integer) is null or try_cast(j->>'points_balance' as integer) < 0 then 'points_balance is missing or negative'
    {%- endif %}
  end
{%- endmacro %}

{#- On incremental runs: only events whose id {{ this }} does not hold yet (duplicate deliveries). -#}
{% macro not_loaded_yet(alias) -%}
  {%- if is_incremental() %}and not exists (select 1 from {{ this }} t where t.event_id = {{ alias }}.event_id){% endif -%}
{%- endmacro %}

{#- One row per key: the first accepted copy wins. -#}
{% macro first_copy(key) -%}
  qualify row_number() over (partition by {{ key }} order by _accepted_at, _partition, _offset) = 1
{%- endmacro %}
