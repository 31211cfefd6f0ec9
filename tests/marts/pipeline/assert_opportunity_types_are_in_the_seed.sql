-- Warns of each opportunity type the opportunity_types seed does not list, and of deals
-- with no type: they count as deal_category other (no new business, upsell or renewal)
-- until the seed names the type.
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
    case
        when opportunities.opportunity_type is null
            then 'deals without a type count as other: no new business, upsell or renewal'
        else 'the opportunity_types seed does not list this type: its deals count as other'
    end as problem,
    count(*) as opportunities

from opportunities
left join opportunity_types
    on {{ match_key('opportunities.opportunity_type') }} = opportunity_types.opportunity_type_key
where opportunity_types.opportunity_type is null
group by 1, 2
