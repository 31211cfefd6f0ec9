with

activities as (

    select * from {{ ref('int_activities_attributed') }}

),

final as (

    select
        -- ids
        activity_id,
        rep_id,
        opportunity_id,
        lead_id,
        account_id,
        who_id,
        what_id,

        -- strings
        source_object,
        activity_type,
        what_object,
        who_object,
        raw_type,
        raw_subtype,
        subject,
        status,
        call_type,
        call_disposition,

        -- numerics
        call_duration_seconds,
        duration_minutes,

        -- booleans
        is_sales_activity,
        is_completed,
        is_outbound,
        is_conversation,

        -- dates
        activity_date,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month,

        -- timestamps
        activity_at,
        created_at

    from activities

)

select * from final
