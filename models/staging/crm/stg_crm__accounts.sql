with

base as (

    select * from {{ ref('base_crm__accounts') }}

),

final as (

    select
        -- ids
        account_id,
        owner_rep_id,

        -- strings
        account_name,
        industry,
        account_type,
        billing_country,
        account_source,
        {%- for column in pass_through_columns('account') %}
        {{ adapter.quote(column.alias) }},
        {%- endfor %}

        -- numerics
        annual_revenue,
        number_of_employees,

        -- timestamps
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
