-- A quota's period starts on the first day of its month, fiscal quarter or fiscal year
-- (var fiscal_year_start_month).

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

placed as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'period_start') }} as date) as month_start,
        {{ fiscal_month_index('extract(month from period_start)') }} as fiscal_month_index
    from quotas

),

expected as (

    select
        *,
        cast(case period_type
            when 'month' then month_start
            when 'quarter'
                then {{ dbt.dateadd('month', '-1 * mod(fiscal_month_index, 3)', 'month_start') }}
            when 'year' then {{ dbt.dateadd('month', '-1 * fiscal_month_index', 'month_start') }}
        end as date) as first_day_of_period
    from placed

)

select
    quota_id,
    owner_id,
    period_type,
    period_start,
    first_day_of_period,
    {{ dbt.concat([
        "'a '", 'period_type', "' quota must start on '",
        "cast(first_day_of_period as " ~ dbt.type_string() ~ ")",
    ]) }} as problem

from expected
where period_start != first_day_of_period
