with

base as (

    select * from {{ ref('base_crm__tasks') }}

),

final as (

    select
        -- ids
        task_id,
        rep_id,
        who_id,
        what_id,
        account_id,

        -- strings
        subject,
        task_type,
        task_subtype,
        status,
        call_type,
        call_disposition,

        -- numerics
        call_duration_seconds,

        -- dates
        activity_date,

        -- timestamps
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
