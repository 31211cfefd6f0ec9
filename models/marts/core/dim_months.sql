with

dates as (

    select * from {{ ref('dim_dates') }}

),

days_placed as (

    -- a day is elapsed once it has begun: with as_of at midnight the day of as_of is still
    -- ahead, with as_of at noon it is spent
    select
        *,
        cast(date_day as {{ dbt.type_timestamp() }}) < {{ as_of_at() }} as is_elapsed,
        date_day = {{ as_of_date() }} as is_as_of_day
    from dates

),

final as (

    select
        -- dates
        month_start,
        max(date_day) as month_end,
        min(fiscal_quarter_start) as fiscal_quarter_start,
        min(fiscal_year_start) as fiscal_year_start,

        -- numerics
        min(calendar_year) as calendar_year,
        min(month_of_year) as month_of_year,
        min(fiscal_year) as fiscal_year,
        min(fiscal_quarter) as fiscal_quarter,
        cast(count(*) as {{ dbt.type_int() }}) as calendar_days,
        cast(count(case when is_working_day then 1 end) as {{ dbt.type_int() }}) as working_days,
        cast(
            count(case when is_working_day and is_elapsed then 1 end) as {{ dbt.type_int() }}
        ) as working_days_elapsed,
        cast(
            count(case when is_working_day and not is_elapsed then 1 end) as {{ dbt.type_int() }}
        ) as working_days_left,

        -- booleans
        count(case when is_as_of_day then 1 end) > 0 as is_current_month

    from days_placed
    group by 1

)

select
    *,
    {{ build_columns() }}
from final
