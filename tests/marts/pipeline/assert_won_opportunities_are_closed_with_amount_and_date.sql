-- A won opportunity is closed, has an amount above zero and a close date. Read from the
-- CRM's current rows, whatever date the build looks back from; the amount is the CRM's, in
-- the deal's own currency (a missing exchange rate is another rule's to report).
-- Checked once fct_opportunities is built: a failure here then holds back only what reads
-- the mart, as a rule on the mart would, not the staging and intermediate models before it.
-- depends_on: {{ ref('fct_opportunities') }}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

)

select
    opportunities.opportunity_id,
    opportunities.amount,
    opportunities.close_date,
    coalesce(stages.stage_name, opportunities.stage_name) as stage_name,
    case
        when not opportunities.is_closed then 'won but not closed'
        when opportunities.amount is null or opportunities.amount <= 0
            then 'won without an amount above zero'
        else 'won without a close date'
    end as problem

from opportunities
left join stages
    on opportunities.stage_key = stages.stage_key
where
    opportunities.is_won
    and (
        not opportunities.is_closed
        or opportunities.amount is null
        or opportunities.amount <= 0
        or opportunities.close_date is null
    )
