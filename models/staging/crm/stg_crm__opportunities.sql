with

base as (

    select * from {{ ref('base_crm__opportunities') }}

),

final as (

    select
        -- ids
        opportunity_id,
        account_id,
        rep_id,

        -- strings
        opportunity_name,
        stage_name,
        stage_key,
        opportunity_type,
        lead_source,
        forecast_category,
        currency_code,
        {%- for column in pass_through_columns('opportunity') %}
        {{ adapter.quote(column.alias) }},
        {%- endfor %}

        -- numerics
        amount,
        probability,

        -- booleans
        is_closed,
        is_won,

        -- dates
        close_date,

        -- timestamps
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
