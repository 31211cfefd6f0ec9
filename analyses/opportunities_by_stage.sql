-- Live opportunities and their value by current stage, in funnel order: a first look at
-- a newly loaded CRM (`dbt compile`, then run the SQL in target/compiled).
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stages as (

    select * from {{ ref('stage_catalogue') }}

),

final as (

    select
        stages.stage_order,
        opportunities.stage_name,
        count(*) as opportunities,
        sum(opportunities.amount) as amount

    from opportunities
    left join stages
        on lower(opportunities.stage_name) = lower(stages.stage_name)
    group by 1, 2

)

select * from final
order by 1
