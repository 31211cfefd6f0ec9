with

base as (

    select * from {{ ref('base_crm__rep_costs') }}

),

final as (

    select
        -- ids
        user_id,
        rep_cost_id,

        -- numerics
        loaded_cost,

        -- dates
        month_start

    from base
    where row_disposition = 'live'

)

select * from final
