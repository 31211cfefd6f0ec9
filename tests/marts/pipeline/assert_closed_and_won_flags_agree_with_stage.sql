-- An opportunity's is_closed and is_won agree with the stage catalogue's flags for its stage.
{{ config(store_failures=true) }}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

)

select
    opportunities.opportunity_id,
    opportunities.stage_name,
    opportunities.is_closed,
    opportunities.is_won,
    stages.is_closed as stage_is_closed,
    stages.is_won as stage_is_won,
    'is_closed/is_won differ from the catalogue for the stage' as problem

from opportunities
inner join stages
    on opportunities.stage_name = stages.stage_name
where
    opportunities.is_closed != stages.is_closed
    or opportunities.is_won != stages.is_won
    or opportunities.is_closed is null
    or opportunities.is_won is null
