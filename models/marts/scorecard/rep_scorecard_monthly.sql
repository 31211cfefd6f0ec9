{#-
    The one wide row per rep and month a rep dashboard reads, each number taken from the
    mart that defines it; only the deal counts by type and source are counted here.
-#}
with

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

funnel_months as (

    select * from {{ ref('rep_funnel_monthly') }}

),

win_rate_months as (

    select * from {{ ref('rep_win_rate_monthly') }}

),

lead_response_months as (

    select * from {{ ref('rep_lead_response_monthly') }}

),

revenue_quotas as (

    select * from {{ ref('quota_attainment') }}
    where scope = 'rep' and period_type = 'month' and quota_type = 'revenue'

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

referral_sources as (

    select * from {{ ref('stg_config__referral_sources') }}

),

deals_classified as (

    select
        opportunities.creating_rep_id,
        opportunities.closing_rep_id,
        opportunities.amount,
        opportunities.is_closed,
        opportunities.is_won,
        cast({{ dbt.date_trunc('month', 'opportunities.created_date') }} as date) as created_month,
        cast({{ dbt.date_trunc('month', 'opportunities.close_date') }} as date) as close_month,
        coalesce(opportunities.opportunity_type like 'Existing Business%', false) as is_upsell,
        referral_sources.lead_source is not null as is_referral
    from opportunities
    left join referral_sources
        on {{ match_key('opportunities.lead_source') }} = referral_sources.lead_source_key

),

created_deals as (

    -- credited to the owner when the deal was created
    select
        creating_rep_id as rep_id,
        created_month as month_start,
        sum(amount) as pipeline_generated,
        count(case when is_upsell then 1 end) as upsell_attempts,
        count(case when is_referral then 1 end) as referrals_received
    from deals_classified
    group by 1, 2

),

closed_deals as (

    -- credited to the owner when the deal closed
    select
        closing_rep_id as rep_id,
        close_month as month_start,
        count(case when is_upsell and is_won then 1 end) as upsells_won,
        count(case when is_upsell and not is_won then 1 end) as upsells_lost,
        count(case when is_referral and is_won then 1 end) as referrals_won
    from deals_classified
    where is_closed
    group by 1, 2

),

final as (

    select
        -- ids
        {{ row_key(['rep_months.rep_id', 'rep_months.month_start']) }} as rep_scorecard_monthly_id,
        rep_months.rep_id,

        -- dates
        rep_months.month_start,

        -- numerics
        funnel_months.won_amount as revenue,
        cast(coalesce(created_deals.pipeline_generated, 0) as {{ dbt.type_numeric() }})
            as pipeline_generated,
        activity_months.opportunities_created,
        win_rate_months.win_rate,
        activity_months.sales_activities as activities,
        activity_months.contact_rate,
        revenue_quotas.target_value as revenue_quota,
        revenue_quotas.attainment as revenue_quota_attainment,
        win_rate_months.avg_days_to_close_won,
        lead_response_months.median_response_minutes as lead_response_minutes,
        cast(coalesce(created_deals.upsell_attempts, 0) as {{ dbt.type_bigint() }})
            as upsell_attempts,
        cast(coalesce(closed_deals.upsells_won, 0) as {{ dbt.type_bigint() }}) as upsells_won,
        {{ safe_divide(
            'coalesce(closed_deals.upsells_won, 0)',
            'coalesce(closed_deals.upsells_won, 0) + coalesce(closed_deals.upsells_lost, 0)',
        ) }} as upsell_win_rate,
        cast(coalesce(created_deals.referrals_received, 0) as {{ dbt.type_bigint() }})
            as referrals_received,
        cast(coalesce(closed_deals.referrals_won, 0) as {{ dbt.type_bigint() }}) as referrals_won

    from rep_months
    inner join activity_months
        on
            rep_months.rep_id = activity_months.rep_id
            and rep_months.month_start = activity_months.month_start
    inner join funnel_months
        on
            rep_months.rep_id = funnel_months.rep_id
            and rep_months.month_start = funnel_months.month_start
    inner join lead_response_months
        on
            rep_months.rep_id = lead_response_months.rep_id
            and rep_months.month_start = lead_response_months.month_start
    left join win_rate_months
        on
            rep_months.rep_id = win_rate_months.rep_id
            and rep_months.month_start = win_rate_months.month_start
    left join revenue_quotas
        on
            rep_months.rep_id = revenue_quotas.owner_id
            and rep_months.month_start = revenue_quotas.period_start
    left join created_deals
        on
            rep_months.rep_id = created_deals.rep_id
            and rep_months.month_start = created_deals.month_start
    left join closed_deals
        on
            rep_months.rep_id = closed_deals.rep_id
            and rep_months.month_start = closed_deals.month_start

)

select * from final
