with

base as (

    select * from {{ ref('base_crm__quotas') }}

),

final as (

    select
        -- ids
        quota_id,
        owner_id,

        -- strings
        scope,
        period_type,
        quota_type,
        quota_method,

        -- numerics
        target_value,

        -- dates
        period_start,

        -- timestamps
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
