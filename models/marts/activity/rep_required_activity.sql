{#-
    "How many calls a day does this rep need for the rest of the month to reach quota?",
    from the rep's own record over the trailing months before this one: the deals still
    needed at the rep's average new business deal size, and the calls those deals take at
    the rep's call-to-win rate, spread over the working days left. Calls win new business
    only, so the deal size is that of the new business the rep won.
-#}
{%- set trailing_months = checked_var('required_activity_trailing_months') -%}

with

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

months as (

    select * from {{ ref('dim_months') }}

),

funnel as (

    select * from {{ ref('rep_funnel_monthly') }}

),

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

revenue_quotas as (

    -- the rep's revenue quota for the month and what counts toward it, as quota_attainment
    -- measures it
    select
        owner_id as rep_id,
        period_start as month_start,
        target_value,
        actual_value
    from {{ ref('quota_attainment') }}
    where scope = 'rep' and period_type = 'month' and quota_type = 'revenue'

),

current_reps as (

    select
        rep_months.rep_id,
        months.month_start,
        months.working_days_left
    from rep_months
    inner join months
        on rep_months.month_start = months.month_start
    inner join reps
        on rep_months.rep_id = reps.rep_id
    where months.is_current_month and reps.is_active

),

trailing_record as (

    select
        current_reps.rep_id,
        sum(funnel.outbound_calls) as outbound_calls,
        sum(funnel.deals_won) as deals_won,
        coalesce(sum(closed_deals.new_business_won_amount), 0) as won_amount
    from current_reps
    inner join funnel
        on
            current_reps.rep_id = funnel.rep_id
            and current_reps.month_start > funnel.month_start
            and funnel.month_start >= {{ dbt.dateadd(
                'month', -1 * trailing_months, 'current_reps.month_start',
            ) }}
    left join closed_deals
        on
            funnel.rep_id = closed_deals.rep_id
            and funnel.month_start = closed_deals.month_start
    group by 1

),

gathered as (

    select
        current_reps.rep_id,
        current_reps.month_start,
        current_reps.working_days_left,
        revenue_quotas.target_value as revenue_quota,
        coalesce(this_month_deals.won_amount, 0) as won_to_date,
        coalesce(this_month.outbound_calls, 0) as outbound_calls_to_date,
        case
            when revenue_quotas.target_value > revenue_quotas.actual_value
                then revenue_quotas.target_value - revenue_quotas.actual_value
            when revenue_quotas.target_value is not null then 0
        end as remaining_quota,
        coalesce(trailing_record.outbound_calls, 0) as trailing_outbound_calls,
        coalesce(trailing_record.deals_won, 0) as trailing_deals_won,
        coalesce(trailing_record.won_amount, 0) as trailing_won_amount
    from current_reps
    left join revenue_quotas
        on
            current_reps.rep_id = revenue_quotas.rep_id
            and current_reps.month_start = revenue_quotas.month_start
    left join funnel as this_month
        on
            current_reps.rep_id = this_month.rep_id
            and current_reps.month_start = this_month.month_start
    left join closed_deals as this_month_deals
        on
            current_reps.rep_id = this_month_deals.rep_id
            and current_reps.month_start = this_month_deals.month_start
    left join trailing_record
        on current_reps.rep_id = trailing_record.rep_id

),

deal_estimates as (

    -- deals_needed = ceil(remaining / (won amount / deals won)), kept exact: the division
    -- runs in floating point, so its ceiling is checked against the exact decimal
    -- products and moved by one where the rounding crossed a whole number
    select
        *,
        cast(ceil(
            cast(remaining_quota * trailing_deals_won as {{ type_double() }})
            / nullif(cast(trailing_won_amount as {{ type_double() }}), 0)
        ) as {{ dbt.type_bigint() }}) as approximate_deals_needed
    from gathered

),

deals as (

    select
        *,
        case
            when remaining_quota is null then null
            when remaining_quota = 0 then 0
            when trailing_deals_won = 0 or trailing_won_amount <= 0 then null
            when
                (approximate_deals_needed - 1) * trailing_won_amount
                >= remaining_quota * trailing_deals_won then approximate_deals_needed - 1
            when
                approximate_deals_needed * trailing_won_amount
                >= remaining_quota * trailing_deals_won then approximate_deals_needed
            else approximate_deals_needed + 1
        end as deals_needed
    from deal_estimates

),

calls as (

    -- calls_needed = ceil(deals_needed / (deals won / outbound calls)): whole numbers
    -- throughout, so the floating-point quotient is exact enough for its ceiling
    select
        *,
        case
            when deals_needed = 0 then 0
            when trailing_outbound_calls > 0 and trailing_deals_won > 0
                then cast(ceil(
                    cast(deals_needed * trailing_outbound_calls as {{ type_double() }})
                    / trailing_deals_won
                ) as {{ dbt.type_bigint() }})
        end as calls_needed
    from deals

),

final as (

    select
        -- ids
        rep_id,

        -- dates
        month_start,

        -- numerics
        cast(revenue_quota as {{ dbt.type_numeric() }}) as revenue_quota,
        cast(won_to_date as {{ dbt.type_numeric() }}) as won_to_date,
        cast(remaining_quota as {{ dbt.type_numeric() }}) as remaining_quota,
        cast(outbound_calls_to_date as {{ dbt.type_bigint() }}) as outbound_calls_to_date,
        cast({{ trailing_months }} as {{ dbt.type_int() }}) as trailing_months,
        cast(trailing_outbound_calls as {{ dbt.type_bigint() }}) as trailing_outbound_calls,
        cast(trailing_deals_won as {{ dbt.type_bigint() }}) as trailing_deals_won,
        cast(trailing_won_amount as {{ dbt.type_numeric() }}) as trailing_won_amount,
        {{ safe_divide('trailing_won_amount', 'trailing_deals_won') }} as trailing_avg_deal_size,
        {{ safe_divide('trailing_deals_won', 'trailing_outbound_calls') }}
            as trailing_call_to_win_rate,
        cast(deals_needed as {{ dbt.type_bigint() }}) as deals_needed,
        cast(calls_needed as {{ dbt.type_bigint() }}) as calls_needed,
        cast(working_days_left as {{ dbt.type_int() }}) as working_days_left,
        case
            when calls_needed = 0 then cast(0 as {{ type_double() }})
            else {{ safe_divide('calls_needed', 'working_days_left') }}
        end as calls_needed_per_working_day,

        -- strings: why calls_needed_per_working_day is null, in a manager's words
        case
            when revenue_quota is null then 'no revenue quota for the month'
            when remaining_quota = 0 then null
            when trailing_deals_won = 0 or trailing_won_amount <= 0
                then 'no deals won in the last {{ trailing_months }} months to size deals on'
            when trailing_outbound_calls = 0
                then 'no outbound calls in the last {{ trailing_months }} months to rate calls on'
            when working_days_left = 0 then 'no working days left in the month'
        end as not_computed_reason

    from calls

)

select
    *,
    {{ build_columns() }}
from final
