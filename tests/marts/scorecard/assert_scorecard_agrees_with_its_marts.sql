-- Each rep's scorecard totals equal the totals of the marts its numbers come from: no month
-- is lost or counted twice by the joins.

with

scorecard as (

    select * from {{ ref('rep_scorecard_monthly') }}

),

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

win_rate_months as (

    select * from {{ ref('rep_win_rate_monthly') }}

),

revenue_quotas as (

    select * from {{ ref('quota_attainment') }}
    where scope = 'rep' and period_type = 'month' and quota_type = 'revenue'

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

from_scorecard as (

    select
        rep_id,
        sum(revenue) as revenue,
        sum(pipeline_generated) as pipeline_generated,
        sum(activities) as activities,
        sum(opportunities_created) as opportunities_created,
        count(win_rate) as months_with_win_rate,
        sum(revenue_quota) as revenue_quota
    from scorecard
    group by 1

),

from_marts as (

    select
        rep_months.rep_id,
        coalesce(sum(win_rate_months.won_amount), 0) as revenue,
        sum(activity_months.sales_activities) as activities,
        sum(activity_months.opportunities_created) as opportunities_created
    from rep_months
    left join win_rate_months
        on
            rep_months.rep_id = win_rate_months.rep_id
            and rep_months.month_start = win_rate_months.month_start
    inner join activity_months
        on
            rep_months.rep_id = activity_months.rep_id
            and rep_months.month_start = activity_months.month_start
    group by 1

),

win_rates as (

    select
        win_rate_months.rep_id,
        count(win_rate_months.win_rate) as months_with_win_rate
    from win_rate_months
    inner join rep_months
        on
            win_rate_months.rep_id = rep_months.rep_id
            and win_rate_months.month_start = rep_months.month_start
    group by 1

),

quota_totals as (

    select
        revenue_quotas.owner_id as rep_id,
        sum(revenue_quotas.target_value) as revenue_quota
    from revenue_quotas
    inner join rep_months
        on
            revenue_quotas.owner_id = rep_months.rep_id
            and revenue_quotas.period_start = rep_months.month_start
    group by 1

),

pipeline_totals as (

    select
        creating_rep_id as rep_id,
        sum(amount) as pipeline_generated
    from opportunities
    where creating_rep_id is not null
    group by 1

),

compared as (

    select
        from_scorecard.*,
        from_marts.revenue as marts_revenue,
        from_marts.activities as marts_activities,
        from_marts.opportunities_created as marts_opportunities_created,
        quota_totals.revenue_quota as marts_revenue_quota,
        pipeline_totals.pipeline_generated as marts_pipeline_generated,
        coalesce(win_rates.months_with_win_rate, 0) as marts_months_with_win_rate
    from from_scorecard
    left join from_marts
        on from_scorecard.rep_id = from_marts.rep_id
    left join win_rates
        on from_scorecard.rep_id = win_rates.rep_id
    left join quota_totals
        on from_scorecard.rep_id = quota_totals.rep_id
    left join pipeline_totals
        on from_scorecard.rep_id = pipeline_totals.rep_id

)

select
    *,
    'the scorecard totals differ from the marts they come from' as problem
from compared
where
    revenue != marts_revenue
    or activities != marts_activities
    or opportunities_created != marts_opportunities_created
    or months_with_win_rate != marts_months_with_win_rate
    or coalesce(revenue_quota, 0) != coalesce(marts_revenue_quota, 0)
    or pipeline_generated != coalesce(marts_pipeline_generated, 0)
