with

opportunity_types as (

    select * from {{ ref('opportunity_types') }}

),

final as (

    select
        -- strings
        opportunity_type,
        {{ match_key('opportunity_type') }} as opportunity_type_key,
        deal_category

    from opportunity_types

)

select * from final
