-- append with a unique_key and no incremental filter: every run adds every source row.
{{ config(materialized='incremental', incremental_strategy='append', unique_key='id') }}

select * from {{ ref(var('seed_name', 'base')) }}
