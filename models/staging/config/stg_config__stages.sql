with

catalogue as (

    select * from {{ ref(checked_var('stage_catalogue')) }}

),

final as (

    select
        -- strings
        stage_name,
        {{ match_key('stage_name') }} as stage_key,
        funnel_phase,

        -- numerics
        stage_order,
        default_probability,

        -- booleans
        is_closed,
        is_won

    from catalogue

)

select * from final
