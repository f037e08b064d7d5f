-- Events that bronze holds but silver cannot use, each with the reason (macros/bronze.sql,
-- reject_reason: the same rule the silver models apply). Nothing is dropped silently: an event is
-- either in its silver model or here. One row per (source_table, event_id).
{{ config(unique_key=['source_table', 'event_id']) }}

{#- (bronze table, the silver model that takes its valid events) -#}
{% set topics = [
  ['pos_transactions', 'pos_lines'],
  ['inventory_counts', 'count_lines'],
  ['orders_reservations', 'reservations'],
  ['logistics_shipments', 'shipment_lines'],
  ['inventory_transfers', 'transfer_lines'],
  ['erp_prices', 'price_changes'],
  ['crm_customers', 'customer_events']
] %}

{#- The silver models are read only on incremental runs (also_seen_by); dbt orders by what a
    full build refs, so name them here too. #}
{% for pair in topics %}
-- depends_on: {{ ref(pair[1]) }}
{% endfor %}

with rejected as (
  {% for pair in topics %}
  select '{{ pair[0] }}' as source_table, *, {{ reject_reason(pair[0]) }} as reason
  from ({{ new_bronze_events(pair[0], "source_table = '" ~ pair[0] ~ "'", pair[1]) }})
  union all
  {% endfor %}
  -- Events the schema registry refused at the door: the log keeps them on freshet.quarantine
  -- with the topic they were meant for and the validation errors in their headers.
  select 'freshet_quarantine' as source_table, *,
    json_extract_string(_headers, '$."freshet.topic"') || ': ' || json_extract_string(_headers, '$."freshet.error"') as reason
  from ({{ new_bronze_events('freshet_quarantine', "source_table = 'freshet_quarantine'") }})
)
select
  source_table,
  event_id,
  coalesce(reason, 'refused by the schema registry') as reason,
  payload,
  _accepted_at,
  _ingested_at,
  now() as _loaded_at
from rejected n
where reason is not null
  {% if is_incremental() %}
  and not exists (select 1 from {{ this }} t where t.source_table = n.source_table and t.event_id = n.event_id)
  {% endif %}
{{ first_copy('source_table, event_id') }}
