-- on_schema_change='ignore' with a column the target has but the incremental query no longer
-- selects: dbt inserts the target's columns from the new rows, which lack field2, so the second
-- run errors.
{{
    config(
        materialized='incremental',
        unique_key='id',
        on_schema_change='ignore'
    )
}}

WITH source_data AS (SELECT * FROM {{ ref('model_a') }} )

{% if is_incremental() %}

SELECT id, field1 FROM source_data WHERE id NOT IN (SELECT id from {{ this }} )

{% else %}

SELECT id, field1, field2 FROM source_data WHERE id <= 3

{% endif %}
