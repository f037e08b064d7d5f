-- the trinary key list with the strategy named explicitly (dbt-duckdb's default is delete+insert).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['state', 'county', 'city']
    )
}}

select
    state as state,
    county as county,
    city as city,
    last_visit_date as last_visit_date
from {{ ref('seed') }}

{% if is_incremental() %}
    where last_visit_date > (select max(last_visit_date) from {{ this }})
{% endif %}
