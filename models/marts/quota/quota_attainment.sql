{#-
    Each live quota against what its owner (a rep) or its team (the reps whose manager
    owns the quota) achieved in the period, with pacing for the period holding as_of.
-#}
with

quotas as (

    select * from {{ ref('stg_crm__quotas') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

months as (

    select * from {{ ref('dim_months') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

activities as (

    select * from {{ ref('fct_activities') }}
    where is_completed and is_sales_activity

),

as_of as (

    select cast({{ to_reporting_time(as_of()) }} as date) as as_of_date

),

won_months as (

    -- won deals count in the month of their close date, for the owner when they closed
    select
        closing_rep_id as rep_id,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as month_start,
        sum(amount) as revenue,
        coalesce(sum(gross_profit), 0) as gross_profit,
        coalesce(sum(units), 0) as units
    from opportunities
    where is_won
    group by 1, 2

),

rep_month_actuals as (

    -- what each rep achieved per month, one row per quota type; activities count in the
    -- month they were done
    select
        rep_id,
        month_start,
        'revenue' as quota_type,
        revenue as actual_value
    from won_months

    union all

    select
        rep_id,
        month_start,
        'gross_profit' as quota_type,
        gross_profit as actual_value
    from won_months

    union all

    select
        rep_id,
        month_start,
        'units' as quota_type,
        units as actual_value
    from won_months

    union all

    select
        rep_id,
        activity_month as month_start,
        {{ dbt.concat(['activity_type', "'s'"]) }} as quota_type,
        count(*) as actual_value
    from activities
    where activity_type in ('call', 'email', 'meeting', 'demo')
    group by 1, 2, 3

),

quota_periods as (

    select
        *,
        cast({{ dbt.dateadd(
            'month',
            "case quotas.period_type when 'month' then 1 when 'quarter' then 3 else 12 end",
            'quotas.period_start',
        ) }} as date) as period_end
    from quotas

),

quota_members as (

    -- whose results count toward a quota: its owner for a rep quota, the reps the owner
    -- manages (their current manager) for a team quota
    select
        quota_id,
        owner_id as rep_id
    from quota_periods
    where scope = 'rep'

    union all

    select
        quota_periods.quota_id,
        reps.rep_id
    from quota_periods
    inner join reps
        on quota_periods.owner_id = reps.manager_id
    where quota_periods.scope = 'team'

),

actuals as (

    select
        quota_members.quota_id,
        sum(rep_month_actuals.actual_value) as actual_value
    from quota_members
    inner join quota_periods
        on quota_members.quota_id = quota_periods.quota_id
    inner join rep_month_actuals
        on
            quota_members.rep_id = rep_month_actuals.rep_id
            and quota_periods.quota_type = rep_month_actuals.quota_type
            and quota_periods.period_start <= rep_month_actuals.month_start
            and quota_periods.period_end > rep_month_actuals.month_start
    group by 1

),

open_pipeline as (

    -- open deals of the quota's reps expected to close within the period
    select
        quota_members.quota_id,
        sum(opportunities.amount) as open_amount
    from quota_members
    inner join quota_periods
        on quota_members.quota_id = quota_periods.quota_id
    inner join opportunities
        on
            quota_members.rep_id = opportunities.rep_id
            and quota_periods.period_start <= opportunities.close_date
            and quota_periods.period_end > opportunities.close_date
    where not opportunities.is_closed
    group by 1

),

working_days as (

    select
        quota_periods.quota_id,
        sum(months.working_days) as working_days_total,
        sum(months.working_days_elapsed) as working_days_elapsed
    from quota_periods
    inner join months
        on
            quota_periods.period_start <= months.month_start
            and quota_periods.period_end > months.month_start
    group by 1

),

measured as (

    select
        quota_periods.quota_id,
        quota_periods.owner_id,
        quota_periods.scope,
        quota_periods.period_type,
        quota_periods.quota_type,
        quota_periods.quota_method,
        quota_periods.period_start,
        quota_periods.period_end,
        quota_periods.target_value,
        working_days.working_days_total,
        working_days.working_days_elapsed,
        coalesce(actuals.actual_value, 0) as actual_value,
        coalesce(open_pipeline.open_amount, 0) as open_amount,
        case
            when quota_periods.period_end <= as_of.as_of_date then 'past'
            when quota_periods.period_start <= as_of.as_of_date then 'current'
            else 'future'
        end as period_state
    from quota_periods
    cross join as_of
    left join actuals
        on quota_periods.quota_id = actuals.quota_id
    left join open_pipeline
        on quota_periods.quota_id = open_pipeline.quota_id
    left join working_days
        on quota_periods.quota_id = working_days.quota_id

),

final as (

    select
        -- ids
        quota_id,
        owner_id,

        -- strings
        scope,
        period_type,
        quota_type,
        quota_method,
        period_state,

        -- dates
        period_start,
        period_end,

        -- numerics
        cast(target_value as {{ dbt.type_numeric() }}) as target_value,
        cast(actual_value as {{ dbt.type_numeric() }}) as actual_value,
        {{ safe_divide('actual_value', 'target_value') }} as attainment,
        cast(working_days_total as {{ dbt.type_int() }}) as working_days_total,
        cast(working_days_elapsed as {{ dbt.type_int() }}) as working_days_elapsed,
        -- pacing: only the period in progress has a pace
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(target_value as double precision) * working_days_elapsed',
                    'working_days_total',
                ) }}
        end as expected_to_date,
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(actual_value as double precision) * working_days_total',
                    'cast(target_value as double precision) * working_days_elapsed',
                ) }}
        end as pace,
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(actual_value as double precision) * working_days_total',
                    'working_days_elapsed',
                ) }}
        end as projected_value,
        case
            when period_state = 'current' and quota_type = 'revenue' and target_value > actual_value
                then {{ safe_divide('open_amount', 'target_value - actual_value') }}
        end as pipeline_coverage,

        -- booleans
        target_value is not null and actual_value >= target_value as is_met

    from measured

)

select * from final
