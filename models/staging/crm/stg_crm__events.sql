with

base as (

    select * from {{ ref('base_crm__events') }}

),

final as (

    select
        -- ids
        event_id,
        rep_id,
        who_id,
        what_id,
        account_id,

        -- strings
        subject,
        event_type,

        -- numerics
        duration_minutes,

        -- timestamps
        started_at,
        ended_at,
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
