-- delete+insert by id with no incremental filter: every run replaces the rows it selects.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id') }}

select * from {{ ref(var('seed_name', 'base')) }}
