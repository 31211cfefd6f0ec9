{#-
    The one home of "deals closed in a month": per rep credited at the close (the owner
    when the deal closed) and month of close_date, the won and lost deals, their amounts,
    their split by deal category and source, their follow-ups and their sales cycle. Win
    rate, the funnel, follow-ups, quota actuals, required activity and the scorecard all
    read their closed-deal numbers here.
-#}
with

closed_deals as (

    select * from {{ ref('fct_opportunities') }}
    where is_closed

),

final as (

    select
        -- ids
        closing_rep_id as rep_id,

        -- dates
        close_month as month_start,

        -- numerics: every category
        count(*) as closed_deals,
        count(case when is_won then 1 end) as won_deals,
        count(case when not is_won then 1 end) as lost_deals,
        coalesce(sum(case when is_won then amount end), 0) as won_amount,
        coalesce(sum(case when not is_won then amount end), 0) as lost_amount,
        coalesce(sum(case when is_won then gross_profit end), 0) as won_gross_profit,
        coalesce(sum(case when is_won then units end), 0) as won_units,

        -- numerics: by deal category
        count(case when is_won and deal_category = 'new_business' then 1 end)
            as new_business_won,
        coalesce(sum(case when is_won and deal_category = 'new_business' then amount end), 0)
            as new_business_won_amount,
        count(case when is_won and deal_category = 'upsell' then 1 end) as upsells_won,
        count(case when not is_won and deal_category = 'upsell' then 1 end) as upsells_lost,
        count(case when is_won and deal_category = 'renewal' then 1 end) as renewals_won,
        count(case when not is_won and deal_category = 'renewal' then 1 end) as renewals_lost,
        count(case when is_won and is_referral then 1 end) as referrals_won,

        -- numerics: follow-ups
        coalesce(sum(case when is_won then follow_up_count end), 0) as won_follow_ups,
        coalesce(sum(case when not is_won then follow_up_count end), 0) as lost_follow_ups,
        count(case when is_won and follow_up_count >= 5 then 1 end) as won_with_5_plus,
        count(case when not is_won and follow_up_count <= 1 then 1 end) as lost_after_at_most_1,

        -- numerics: sales cycle of the won deals
        avg(case when is_won then days_to_close end) as avg_days_to_close_won,
        {{ median_of('case when is_won then days_to_close end') }} as median_days_to_close_won,
        avg(case when is_won then days_lead_to_close end) as avg_days_lead_to_close_won,
        {{ median_of('case when is_won then days_lead_to_close end') }}
            as median_days_lead_to_close_won

    from closed_deals
    group by 1, 2

)

select * from final
