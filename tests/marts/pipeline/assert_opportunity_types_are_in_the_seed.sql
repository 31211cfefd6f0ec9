-- Warns of each opportunity type the opportunity_types seed does not list: its deals count
-- as deal_category other (no new business, upsell or renewal) until the seed names it.
{{ config(severity='warn') }}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

opportunity_types as (

    select * from {{ ref('stg_config__opportunity_types') }}

)

select
    opportunities.opportunity_type,
    'the opportunity_types seed does not list this type: its deals count as other' as problem,
    count(*) as opportunities

from opportunities
left join opportunity_types
    on {{ match_key('opportunities.opportunity_type') }} = opportunity_types.opportunity_type_key
where opportunities.opportunity_type is not null and opportunity_types.opportunity_type is null
group by 1
