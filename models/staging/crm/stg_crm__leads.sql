with

base as (

    select * from {{ ref('base_crm__leads') }}

),

final as (

    select
        -- ids
        lead_id,
        rep_id,
        converted_opportunity_id,
        converted_account_id,

        -- strings
        lead_status,
        lead_source,

        -- booleans
        is_converted,

        -- dates
        converted_date,

        -- timestamps
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
