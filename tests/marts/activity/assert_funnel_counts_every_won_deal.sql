-- Every new business deal a rep won (owned at its close) with a close date up to the month
-- of as_of counts once in rep_funnel_monthly, in the month of its close date.

with

won_opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where is_won and deal_category = 'new_business' and closing_rep_id is not null

),

funnel as (

    select * from {{ ref('rep_funnel_monthly') }}

),

won_by_rep as (

    select
        closing_rep_id as rep_id,
        count(*) as in_facts
    from won_opportunities
    where close_month <= {{ dbt.date_trunc('month', as_of_date()) }}
    group by 1

),

funnel_by_rep as (

    select
        rep_id,
        sum(deals_won) as in_mart
    from funnel
    group by 1

)

select
    'rep_funnel_monthly counts a different number of won new business deals than fct_opportunities'
        as problem,
    coalesce(won_by_rep.rep_id, funnel_by_rep.rep_id) as rep_id,
    coalesce(won_by_rep.in_facts, 0) as in_facts,
    coalesce(funnel_by_rep.in_mart, 0) as in_mart

from won_by_rep
full outer join funnel_by_rep
    on won_by_rep.rep_id = funnel_by_rep.rep_id
where coalesce(won_by_rep.in_facts, 0) != coalesce(funnel_by_rep.in_mart, 0)
