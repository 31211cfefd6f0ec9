{#-
    The activity funnel of a rep's month: outbound calls, meetings booked and new business
    won, and the flow ratios between them. The three counts are flows of the same month,
    not a cohort followed through (a deal won in March was called in January), so a ratio
    may exceed 1 in a thin month; the trailing three months, which managers read, smooth
    that out.
-#}
with

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

monthly as (

    -- only new business is won by calling: renewals and upsells are not in the funnel
    select
        activity_months.rep_id,
        activity_months.month_start,
        activity_months.outbound_calls,
        activity_months.meetings,
        coalesce(closed_deals.new_business_won, 0) as deals_won
    from activity_months
    left join closed_deals
        on
            activity_months.rep_id = closed_deals.rep_id
            and activity_months.month_start = closed_deals.month_start

),

three_months as (

    -- the rep's months from two before this one up to this one (a month the rep has no
    -- row for counted nothing)
    select
        monthly.rep_id,
        monthly.month_start,
        sum(earlier.outbound_calls) as outbound_calls_3m,
        sum(earlier.meetings) as meetings_3m,
        sum(earlier.deals_won) as deals_won_3m
    from monthly
    inner join monthly as earlier
        on
            monthly.rep_id = earlier.rep_id
            and monthly.month_start >= earlier.month_start
            and earlier.month_start >= {{ dbt.dateadd('month', -2, 'monthly.month_start') }}
    group by 1, 2

),

final as (

    select
        -- ids
        {{ row_key(['monthly.rep_id', 'monthly.month_start']) }} as rep_funnel_monthly_id,
        monthly.rep_id,

        -- dates
        monthly.month_start,

        -- numerics
        monthly.outbound_calls,
        monthly.meetings,
        cast(monthly.deals_won as {{ dbt.type_bigint() }}) as deals_won,
        {{ safe_divide('monthly.meetings', 'monthly.outbound_calls') }} as call_to_meeting_rate,
        {{ safe_divide('monthly.deals_won', 'monthly.meetings') }} as meeting_to_win_rate,
        {{ safe_divide('monthly.deals_won', 'monthly.outbound_calls') }} as call_to_win_rate,
        cast(three_months.outbound_calls_3m as {{ dbt.type_bigint() }}) as outbound_calls_3m,
        cast(three_months.meetings_3m as {{ dbt.type_bigint() }}) as meetings_3m,
        cast(three_months.deals_won_3m as {{ dbt.type_bigint() }}) as deals_won_3m,
        {{ safe_divide('three_months.meetings_3m', 'three_months.outbound_calls_3m') }}
            as call_to_meeting_rate_3m,
        {{ safe_divide('three_months.deals_won_3m', 'three_months.meetings_3m') }}
            as meeting_to_win_rate_3m,
        {{ safe_divide('three_months.deals_won_3m', 'three_months.outbound_calls_3m') }}
            as call_to_win_rate_3m

    from monthly
    inner join three_months
        on
            monthly.rep_id = three_months.rep_id
            and monthly.month_start = three_months.month_start

)

select
    *,
    {{ build_columns() }}
from final
