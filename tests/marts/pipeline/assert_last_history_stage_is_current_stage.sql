-- Each opportunity's stage history ends in its current stage (history ordered by change
-- time, then id). A deal without any history is not a failure here: its stay comes from its
-- current row, and assert_deals_without_stage_history_are_reported warns of it. Read over
-- the whole history, not up to as_of: the rule is about the CRM's data, whatever date the
-- build looks back from.
-- Checked once fct_opportunities is built: a failure here then holds back only what reads
-- the mart, as a rule on the mart would, not the staging and intermediate models before it.
-- depends_on: {{ ref('fct_opportunities') }}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

history as (

    select * from {{ ref('int_opportunity_histories_attached') }}

),

last_changes as (

    select
        opportunity_id,
        stage_name,
        stage_key,
        row_number() over (
            partition by opportunity_id
            order by changed_at desc, opportunity_history_id desc
        ) as recency

    from history

)

select
    opportunities.opportunity_id,
    opportunities.stage_name as opportunity_stage,
    last_changes.stage_name as last_history_stage,
    'last history stage differs from the current stage' as problem

from opportunities
inner join last_changes
    on
        opportunities.opportunity_id = last_changes.opportunity_id
        and last_changes.recency = 1
where last_changes.stage_key != opportunities.stage_key
