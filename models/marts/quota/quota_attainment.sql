{#-
    Each live quota against what its owner (a rep) or its team (the reps whose manager
    owns the quota) achieved in the period, with pacing for the period holding as_of. A
    forecast quota without a target gets one: the same period's actual a year before,
    raised by var forecast_uplift.
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

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

history_start as (

    select * from {{ ref('int_crm_history_start') }}

),

activities as (

    select * from {{ ref('fct_activities') }}
    where is_counted

),

rep_month_actuals as (

    -- what each rep achieved per month, one row per quota type: won deals count in the
    -- month of their close date for the owner when they closed, customers in the month
    -- their first deal was won, activities in the month they were done
    select
        rep_id,
        month_start,
        'revenue' as quota_type,
        won_amount as actual_value
    from closed_deals

    union all

    select
        rep_id,
        month_start,
        'gross_profit' as quota_type,
        won_gross_profit as actual_value
    from closed_deals

    union all

    select
        rep_id,
        month_start,
        'units' as quota_type,
        won_units as actual_value
    from closed_deals

    union all

    select
        rep_id,
        month_start,
        'deals' as quota_type,
        new_business_won as actual_value
    from closed_deals

    union all

    select
        acquiring_rep_id as rep_id,
        cast({{ dbt.date_trunc('month', 'acquired_date') }} as date) as month_start,
        'new_customers' as quota_type,
        count(*) as actual_value
    from accounts
    where acquiring_rep_id is not null
    group by 1, 2, 3

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
        ) }} as date) as period_end,
        cast({{ dbt.dateadd('year', -1, 'quotas.period_start') }} as date) as last_year_start
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

    -- the period's actual, and the same period's a year before (a forecast's base)
    select
        quota_members.quota_id,
        sum(case
            when rep_month_actuals.month_start >= quota_periods.period_start
                then rep_month_actuals.actual_value
        end) as actual_value,
        sum(case
            when rep_month_actuals.month_start < quota_periods.period_start
                then rep_month_actuals.actual_value
        end) as last_year_actual_value
    from quota_members
    inner join quota_periods
        on quota_members.quota_id = quota_periods.quota_id
    inner join rep_month_actuals
        on
            quota_members.rep_id = rep_month_actuals.rep_id
            and quota_periods.quota_type = rep_month_actuals.quota_type
            and (
                (
                    quota_periods.period_start <= rep_month_actuals.month_start
                    and quota_periods.period_end > rep_month_actuals.month_start
                )
                or (
                    quota_periods.last_year_start <= rep_month_actuals.month_start
                    and {{ dbt.dateadd('year', -1, 'quota_periods.period_end') }}
                    > rep_month_actuals.month_start
                )
            )
    group by 1

),

open_pipeline as (

    -- the open deals of the quota's reps at as_of that may still close in the period:
    -- those due by its end, and those whose close date has already passed (reps leave
    -- stale close dates; the deals are shown, not lost)
    select
        quota_members.quota_id,
        sum(case
            when opportunities.close_date >= {{ as_of_date() }} then opportunities.amount
        end) as open_amount_due,
        sum(case
            when opportunities.close_date < {{ as_of_date() }} then opportunities.amount
        end) as overdue_open_amount
    from quota_members
    inner join quota_periods
        on quota_members.quota_id = quota_periods.quota_id
    inner join opportunities
        on
            quota_members.rep_id = opportunities.rep_id
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
        quota_periods.target_value as given_target_value,
        -- a forecast without a target: last year's actual raised by the uplift, where the
        -- CRM's history reaches back to the start of last year's period and there was an
        -- actual to raise (a target of 0 would be met by doing nothing)
        case
            when quota_periods.target_value is not null then quota_periods.target_value
            when
                quota_periods.quota_method = 'forecast'
                and quota_periods.last_year_start >= history_start.first_month
                and actuals.last_year_actual_value > 0
                then actuals.last_year_actual_value * (1 + {{ checked_var('forecast_uplift') }})
        end as target_value,
        coalesce(actuals.last_year_actual_value, 0) as last_year_actual_value,
        working_days.working_days_total,
        working_days.working_days_elapsed,
        coalesce(actuals.actual_value, 0) as actual_value,
        coalesce(open_pipeline.open_amount_due, 0) as open_amount_due,
        coalesce(open_pipeline.overdue_open_amount, 0) as overdue_open_amount,
        case
            when quota_periods.period_end <= {{ as_of_date() }} then 'past'
            when quota_periods.period_start <= {{ as_of_date() }} then 'current'
            else 'future'
        end as period_state
    from quota_periods
    cross join history_start
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
        cast(last_year_actual_value as {{ dbt.type_numeric() }}) as last_year_actual_value,
        {{ safe_divide('actual_value', 'target_value') }} as attainment,
        cast(working_days_total as {{ dbt.type_int() }}) as working_days_total,
        cast(working_days_elapsed as {{ dbt.type_int() }}) as working_days_elapsed,
        -- pacing: only the period in progress has a pace
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(target_value as ' ~ type_double() ~ ') * working_days_elapsed',
                    'working_days_total',
                ) }}
        end as expected_to_date,
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(actual_value as ' ~ type_double() ~ ') * working_days_total',
                    'cast(target_value as ' ~ type_double() ~ ') * working_days_elapsed',
                ) }}
        end as pace,
        case
            when period_state = 'current'
                then {{ safe_divide(
                    'cast(actual_value as ' ~ type_double() ~ ') * working_days_total',
                    'working_days_elapsed',
                ) }}
        end as projected_value,
        case
            when period_state = 'current' and quota_type = 'revenue'
                then cast(open_amount_due as {{ dbt.type_numeric() }})
        end as open_amount_due,
        case
            when period_state = 'current' and quota_type = 'revenue'
                then cast(overdue_open_amount as {{ dbt.type_numeric() }})
        end as overdue_open_amount,
        case
            when period_state = 'current' and quota_type = 'revenue' and target_value > actual_value
                then {{ safe_divide(
                    'open_amount_due + overdue_open_amount', 'target_value - actual_value',
                ) }}
        end as pipeline_coverage,

        -- booleans
        target_value is not null and actual_value >= target_value as is_met,
        given_target_value is null and target_value is not null as is_target_derived

    from measured

)

select
    *,
    {{ build_columns() }}
from final
