{#-
    The one wide row per rep and month a rep dashboard reads. Each number is taken from
    the model that defines it: activities from rep_activity_monthly, deals created and
    closed from the rep-month deal models, win rate and sales cycle from
    rep_win_rate_monthly, leads from rep_lead_response_monthly, the quota from
    quota_attainment. Only the upsell and renewal win rates are divided here.
-#}
with

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

created_deals as (

    select * from {{ ref('int_rep_created_deals_monthly') }}

),

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

win_rate_months as (

    select * from {{ ref('rep_win_rate_monthly') }}

),

lead_months as (

    select * from {{ ref('rep_lead_response_monthly') }}

),

revenue_quotas as (

    select * from {{ ref('quota_attainment') }}
    where scope = 'rep' and period_type = 'month' and quota_type = 'revenue'

),

final as (

    select
        -- ids
        {{ row_key(['rep_months.rep_id', 'rep_months.month_start']) }} as rep_scorecard_monthly_id,
        rep_months.rep_id,

        -- dates
        rep_months.month_start,

        -- numerics
        cast(coalesce(closed_deals.won_amount, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(coalesce(created_deals.pipeline_generated, 0) as {{ dbt.type_numeric() }})
            as pipeline_generated,
        activity_months.opportunities_created,
        win_rate_months.win_rate,
        activity_months.sales_activities as activities,
        activity_months.contact_rate,
        revenue_quotas.target_value as revenue_quota,
        revenue_quotas.attainment as revenue_quota_attainment,
        win_rate_months.avg_days_to_close_won,
        lead_months.median_response_minutes as lead_response_minutes,
        cast(coalesce(created_deals.upsell_attempts, 0) as {{ dbt.type_bigint() }})
            as upsell_attempts,
        cast(coalesce(closed_deals.upsells_won, 0) as {{ dbt.type_bigint() }}) as upsells_won,
        {{ safe_divide(
            'closed_deals.upsells_won', 'closed_deals.upsells_won + closed_deals.upsells_lost',
        ) }} as upsell_win_rate,
        cast(
            coalesce(closed_deals.renewals_won + closed_deals.renewals_lost, 0)
            as {{ dbt.type_bigint() }}
        ) as renewals_closed,
        cast(coalesce(closed_deals.renewals_won, 0) as {{ dbt.type_bigint() }}) as renewals_won,
        {{ safe_divide(
            'closed_deals.renewals_won', 'closed_deals.renewals_won + closed_deals.renewals_lost',
        ) }} as renewal_win_rate,
        lead_months.referral_leads as referrals_received,
        cast(coalesce(closed_deals.referrals_won, 0) as {{ dbt.type_bigint() }}) as referrals_won

    from rep_months
    inner join activity_months
        on
            rep_months.rep_id = activity_months.rep_id
            and rep_months.month_start = activity_months.month_start
    inner join lead_months
        on
            rep_months.rep_id = lead_months.rep_id
            and rep_months.month_start = lead_months.month_start
    left join created_deals
        on
            rep_months.rep_id = created_deals.rep_id
            and rep_months.month_start = created_deals.month_start
    left join closed_deals
        on
            rep_months.rep_id = closed_deals.rep_id
            and rep_months.month_start = closed_deals.month_start
    left join win_rate_months
        on
            rep_months.rep_id = win_rate_months.rep_id
            and rep_months.month_start = win_rate_months.month_start
    left join revenue_quotas
        on
            rep_months.rep_id = revenue_quotas.owner_id
            and rep_months.month_start = revenue_quotas.period_start

)

select
    *,
    {{ build_columns() }}
from final
