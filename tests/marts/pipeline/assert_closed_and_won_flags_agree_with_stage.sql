-- An opportunity's is_closed and is_won agree with the stage catalogue's flags for its stage,
-- on the CRM's current rows (a past as_of reads each deal's flags from the catalogue).
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
    opportunities.stage_name,
    opportunities.is_closed,
    opportunities.is_won,
    stages.is_closed as stage_is_closed,
    stages.is_won as stage_is_won,
    'is_closed/is_won differ from the catalogue for the stage' as problem

from opportunities
inner join stages
    on opportunities.stage_key = stages.stage_key
where
    opportunities.is_closed != stages.is_closed
    or opportunities.is_won != stages.is_won
    or opportunities.is_closed is null
    or opportunities.is_won is null
