/*
 * dbt's built-in macros that projects commonly call, written for DuckDB as dbt-duckdb renders
 * them: the four generic tests and the cross-database helpers (dbt.date_trunc, dbt.dateadd, …).
 * A project's macro of the same name replaces the built-in, as in dbt.
 */

const GENERIC_TESTS = `
{% macro test_unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endmacro %}

{% macro test_not_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
{% endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=True) %}
with all_values as (
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ model }}
    group by {{ column_name }}
)
select *
from all_values
where value_field not in (
    {% for value in values -%}
        {% if quote -%}
        '{{ value }}'
        {%- else -%}
        {{ value }}
        {%- endif -%}
        {%- if not loop.last -%},{%- endif %}
    {%- endfor %}
)
{% endmacro %}

{% macro test_relationships(model, column_name, to, field) %}
with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),
parent as (
    select {{ field }} as to_field
    from {{ to }}
)
select from_field
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null
{% endmacro %}
`;

// As dbt-duckdb renders them (its duckdb__ macros where it has one, else dbt's default__).
const CROSS_DB = `
{% macro current_timestamp() %}now(){% endmacro %}
{% macro current_timestamp_backcompat() %}now(){% endmacro %}
{% macro type_string() %}{{ return(api.Column.translate_type("string")) }}{% endmacro %}
{% macro type_timestamp() %}{{ return(api.Column.translate_type("timestamp")) }}{% endmacro %}
{% macro type_float() %}{{ return(api.Column.translate_type("float")) }}{% endmacro %}
{% macro type_numeric() %}{{ return(api.Column.numeric_type("numeric", 28, 6)) }}{% endmacro %}
{% macro type_bigint() %}{{ return(api.Column.translate_type("bigint")) }}{% endmacro %}
{% macro type_int() %}{{ return(api.Column.translate_type("integer")) }}{% endmacro %}
{% macro type_boolean() %}{{ return(api.Column.translate_type("boolean")) }}{% endmacro %}
{% macro date_trunc(datepart, date) %}date_trunc('{{datepart}}', {{date}}){% endmacro %}
{% macro dateadd(datepart, interval, from_date_or_timestamp) %}
{%- set unit = datepart | lower -%}
{%- if unit == 'quarter' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 3) * interval 1 month)
{%- elif unit == 'week' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 7) * interval 1 day)
{%- else -%}
({{ from_date_or_timestamp }} + cast({{ interval }} as bigint) * interval 1 {{ unit }})
{%- endif -%}
{% endmacro %}
{% macro datediff(first_date, second_date, datepart) -%}
{% if datepart == 'week' %}
({{ datediff(first_date, second_date, 'day') }} // 7 + case
    when date_part('dow', ({{first_date}})::timestamp) <= date_part('dow', ({{second_date}})::timestamp) then
        case when {{first_date}} <= {{second_date}} then 0 else -1 end
    else
        case when {{first_date}} <= {{second_date}} then 1 else 0 end
end)
{% else %}
(date_diff('{{ datepart }}', {{ first_date }}::timestamp, {{ second_date}}::timestamp ))
{% endif %}
{%- endmacro %}
{% macro default_last_day(date, datepart) -%}
cast({{ dateadd('day', '-1', dateadd(datepart, '1', date_trunc(datepart, date))) }} as date)
{%- endmacro %}
{% macro last_day(date, datepart) -%}
{%- if datepart == 'quarter' -%}
cast({{ dateadd('day', '-1', dateadd('month', '3', date_trunc(datepart, date))) }} as date)
{%- else -%}
{{ default_last_day(date, datepart) }}
{%- endif -%}
{%- endmacro %}
{% macro safe_cast(field, type) %}cast({{field}} as {{type}}){% endmacro %}
{% macro cast(field, type) %}cast({{field}} as {{type}}){% endmacro %}
{% macro concat(fields) %}{{ fields|join(' || ') }}{% endmacro %}
{% macro hash(field) %}md5(cast({{ field }} as {{ api.Column.translate_type('string') }})){% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}string_split({{ string_text }}, {{ delimiter_text }})[ {{ part_number }} ]{% endmacro %}
{% macro any_value(expression) %}arbitrary({{ expression }}){% endmacro %}
{% macro bool_or(expression) %}bool_or({{ expression }}){% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{% if limit_num -%}
list_aggr((array_agg({{ measure }} {% if order_by_clause -%}{{ order_by_clause }}{%- endif %}))[1:{{ limit_num }}], 'string_agg', {{ delimiter_text }})
{%- else %}
string_agg({{ measure }}, {{ delimiter_text }} {% if order_by_clause -%}{{ order_by_clause }}{%- endif %})
{%- endif %}
{%- endmacro %}
{% macro escape_single_quotes(expression) %}{{ expression | replace("'","''") }}{% endmacro %}
{% macro string_literal(value) %}'{{ value }}'{% endmacro %}
{% macro length(expression) %}length({{ expression }}){% endmacro %}
{% macro position(substring_text, string_text) %}position({{ substring_text }} in {{ string_text }}){% endmacro %}
{% macro right(string_text, length_expression) %}right({{ string_text }}, {{ length_expression }}){% endmacro %}
{% macro replace(field, old_chars, new_chars) %}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){% endmacro %}
{% macro except() %}except{% endmacro %}
{% macro intersect() %}intersect{% endmacro %}
{% macro equals(expr1, expr2) %}(({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)){% endmacro %}
{% macro cast_bool_to_text(field) %}cast({{ field }} as {{ api.Column.translate_type('string') }}){% endmacro %}
{% macro array_construct(inputs=[], data_type=api.Column.translate_type('integer')) -%}
{% if inputs|length > 0 %}array[ {{ inputs|join(' , ') }} ]{% else %}array[]::{{data_type}}[]{% endif %}
{%- endmacro %}
{% macro array_append(array, new_element) %}array_append({{ array }}, {{ new_element }}){% endmacro %}
{% macro array_concat(array_1, array_2) %}array_cat({{ array_1 }}, {{ array_2 }}){% endmacro %}
{% macro date(year, month, day) -%}
{%- set dt = modules.datetime.date(year, month, day) -%}
to_date('{{ dt.strftime('%Y-%m-%d') }}', 'YYYY-MM-DD')
{%- endmacro %}
{% macro get_powers_of_two(upper_bound) %}
{% if upper_bound <= 0 %}{{ exceptions.raise_compiler_error("upper bound must be positive") }}{% endif %}
{% for _ in range(1, 100) %}{% if upper_bound <= 2 ** loop.index %}{{ return(loop.index) }}{% endif %}{% endfor %}
{% endmacro %}
{% macro generate_series(upper_bound) %}
{% set n = get_powers_of_two(upper_bound) %}
with p as (
    select 0 as generated_number union all select 1
), unioned as (
select
{% for i in range(n) %}
p{{i}}.generated_number * power(2, {{i}})
{% if not loop.last %} + {% endif %}
{% endfor %}
+ 1
as generated_number
from
{% for i in range(n) %}
p as p{{i}}
{% if not loop.last %} cross join {% endif %}
{% endfor %}
)
select *
from unioned
where generated_number <= {{upper_bound}}
order by generated_number
{% endmacro %}
{#- dbt asks the database for this number while compiling (a statement block); Freshet compiles
    without a round-trip, so it renders the expression that computes it, which a query evaluates
    to the same number. -#}
{% macro get_intervals_between(start_date, end_date, datepart) -%}
({{ datediff(start_date, end_date, datepart) }})
{%- endmacro %}
{#- dbt asks the database for the number of intervals while compiling (a statement block);
    Freshet compiles without a round-trip, so the count is computed by the query itself. -#}
{% macro date_spine(datepart, start_date, end_date) %}
with rawdata as (
    select range + 1 as generated_number
    from range(cast(greatest({{ datediff(start_date, end_date, datepart) }}, 0) as bigint))
),
all_periods as (
    select ({{ dateadd(datepart, "row_number() over (order by 1) - 1", start_date) }}) as date_{{datepart}}
    from rawdata
),
filtered as (
    select *
    from all_periods
    where date_{{datepart}} <= {{ end_date }}
)
select * from filtered
{% endmacro %}
`;

/** Built-in macro files by a name that errors can show. */
export const CROSS_DB_MACROS: Record<string, string> = {
  'dbt/generic_tests.sql': GENERIC_TESTS,
  'dbt/cross_db.sql': CROSS_DB,
};

/** The generic tests dbt ships; any other test name must be a `{% test %}` of the project. */
export const BUILTIN_TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'];
