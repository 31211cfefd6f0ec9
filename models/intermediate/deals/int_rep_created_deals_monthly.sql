{#-
    The one home of "deals created in a month": per rep credited at the creation (the
    owner when the deal was created) and month of creation, the deals opened and the
    pipeline they generated, by deal category.
-#}
with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

final as (

    select
        -- ids
        creating_rep_id as rep_id,

        -- dates
        created_month as month_start,

        -- numerics
        count(*) as opportunities_created,
        count(case when deal_category = 'new_business' then 1 end)
            as new_business_opportunities_created,
        count(case when deal_category = 'upsell' then 1 end) as upsell_attempts,
        count(case when deal_category = 'renewal' then 1 end) as renewals_created,
        coalesce(sum(amount), 0) as pipeline_generated

    from opportunities
    group by 1, 2

)

select * from final
