with

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

won_opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where is_won

),

won_by_month as (

    -- credited to the owner when the deal closed
    select
        closing_rep_id as rep_id,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as month_start,
        count(*) as deals_won,
        sum(amount) as won_amount
    from won_opportunities
    group by 1, 2

),

final as (

    select
        -- ids
        {{ row_key(['activity_months.rep_id', 'activity_months.month_start']) }}
            as rep_funnel_monthly_id,
        activity_months.rep_id,

        -- dates
        activity_months.month_start,

        -- numerics
        activity_months.outbound_calls,
        activity_months.meetings,
        cast(coalesce(won_by_month.deals_won, 0) as {{ dbt.type_bigint() }}) as deals_won,
        cast(coalesce(won_by_month.won_amount, 0) as {{ dbt.type_numeric() }}) as won_amount,
        {{ safe_divide('activity_months.meetings', 'activity_months.outbound_calls') }}
            as call_to_meeting_rate,
        {{ safe_divide('coalesce(won_by_month.deals_won, 0)', 'activity_months.meetings') }}
            as meeting_to_win_rate,
        {{ safe_divide('coalesce(won_by_month.deals_won, 0)', 'activity_months.outbound_calls') }}
            as call_to_win_rate

    from activity_months
    left join won_by_month
        on
            activity_months.rep_id = won_by_month.rep_id
            and activity_months.month_start = won_by_month.month_start

)

select * from final
