{#-
    The calendar from var('calendar_start_date') to var('calendar_end_date'), by default
    two years after as_of: every period a mart can name (quota plans run ahead of today).
-#}
{%- set end_date = checked_var('calendar_end_date') -%}
{%- if end_date is none -%}
{%- set end_exclusive = dbt.dateadd('year', 2, 'cast(' ~ as_of() ~ ' as date)') -%}
{%- else -%}
{%- set end_exclusive = dbt.dateadd('day', 1, 'cast(' ~ text_literal(end_date) ~ ' as date)') -%}
{%- endif %}

with

days as (

    {{ dbt.date_spine(
        'day',
        'cast(' ~ text_literal(checked_var('calendar_start_date')) ~ ' as date)',
        end_exclusive,
    ) }}

),

holidays as (

    select * from {{ ref('holidays') }}

),

calendar as (

    select
        cast(days.date_day as date) as date_day,
        cast({{ iso_day_of_week('days.date_day') }} as {{ dbt.type_int() }}) as iso_day_of_week,
        cast(extract(month from days.date_day) as {{ dbt.type_int() }}) as month_of_year,
        cast(extract(year from days.date_day) as {{ dbt.type_int() }}) as calendar_year,
        cast({{ dbt.date_trunc('week', 'days.date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'days.date_day') }} as date) as month_start,
        holidays.holiday_name
    from days
    left join holidays
        on cast(days.date_day as date) = holidays.holiday_date

),

fiscal as (

    select
        *,
        -- months since the fiscal year began: 0 in its first month
        {{ fiscal_month_index('month_of_year') }} as fiscal_month_index
    from calendar

),

final as (

    select
        -- dates
        date_day,
        week_start,
        month_start,
        cast({{ dbt.dateadd('month', '-1 * mod(fiscal_month_index, 3)', 'month_start') }} as date)
            as fiscal_quarter_start,
        cast({{ dbt.dateadd('month', '-1 * fiscal_month_index', 'month_start') }} as date)
            as fiscal_year_start,

        -- numerics
        iso_day_of_week,
        month_of_year,
        calendar_year,
        cast(floor(fiscal_month_index / 3.0) + 1 as {{ dbt.type_int() }}) as fiscal_quarter,
        -- a fiscal year is named by the calendar year it starts in
        cast(
            extract(year from {{ dbt.dateadd('month', '-1 * fiscal_month_index', 'month_start') }})
            as {{ dbt.type_int() }}
        ) as fiscal_year,

        -- strings
        holiday_name,

        -- booleans
        iso_day_of_week >= 6 as is_weekend,
        holiday_name is not null as is_holiday,
        iso_day_of_week <= 5 and holiday_name is null as is_working_day

    from fiscal

)

select
    *,
    {{ build_columns() }}
from final
