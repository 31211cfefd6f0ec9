-- Every completed sales activity, opportunity created (for its creating rep) and lead counts
-- once, in its rep's row of its month: the monthly marts lose nothing and count nothing twice.

with

activities as (

    select * from {{ ref('fct_activities') }}
    where is_counted

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where creating_rep_id is not null

),

leads as (

    select * from {{ ref('fct_leads') }}
    where rep_id is not null

),

activity_months as (

    select * from {{ ref('rep_activity_monthly') }}

),

lead_months as (

    select * from {{ ref('rep_lead_response_monthly') }}

),

facts as (

    select
        'sales_activities' as measure,
        rep_id,
        count(*) as in_facts
    from activities
    group by 1, 2

    union all

    select
        'outbound_calls' as measure,
        rep_id,
        count(*) as in_facts
    from activities
    where is_outbound
    group by 1, 2

    union all

    select
        'opportunities_created' as measure,
        creating_rep_id as rep_id,
        count(*) as in_facts
    from opportunities
    group by 1, 2

    union all

    select
        'leads_created' as measure,
        rep_id,
        count(*) as in_facts
    from leads
    group by 1, 2

),

marts as (

    select
        'sales_activities' as measure,
        rep_id,
        sum(sales_activities) as in_mart
    from activity_months
    group by 1, 2

    union all

    select
        'outbound_calls' as measure,
        rep_id,
        sum(outbound_calls) as in_mart
    from activity_months
    group by 1, 2

    union all

    select
        'opportunities_created' as measure,
        rep_id,
        sum(opportunities_created) as in_mart
    from activity_months
    group by 1, 2

    union all

    select
        'leads_created' as measure,
        rep_id,
        sum(leads_created) as in_mart
    from lead_months
    group by 1, 2

)

select
    'the monthly mart counts a different number than the facts' as problem,
    coalesce(facts.measure, marts.measure) as measure,
    coalesce(facts.rep_id, marts.rep_id) as rep_id,
    coalesce(facts.in_facts, 0) as in_facts,
    coalesce(marts.in_mart, 0) as in_mart

from facts
full outer join marts
    on facts.measure = marts.measure and facts.rep_id = marts.rep_id
where coalesce(facts.in_facts, 0) != coalesce(marts.in_mart, 0)
