with

base as (

    select * from {{ ref('base_crm__opportunity_histories') }}

),

final as (

    select
        -- ids
        opportunity_history_id,
        opportunity_id,

        -- strings
        change_source,
        stage_name,
        stage_key,
        forecast_category,
        currency_code,

        -- numerics
        amount,
        probability,

        -- dates
        close_date,

        -- timestamps
        changed_at

    from base
    where row_disposition = 'live'

)

select * from final
