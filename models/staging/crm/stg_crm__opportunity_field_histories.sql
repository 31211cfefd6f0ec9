with

base as (

    select * from {{ ref('base_crm__opportunity_field_histories') }}

),

final as (

    select
        -- ids
        opportunity_field_history_id,
        opportunity_id,

        -- strings
        field_name,
        old_value,
        new_value,

        -- booleans: Salesforce writes each owner change twice, once with the users' ids and
        -- once with their names; only the id row says who owned the deal (user ids start
        -- with 005 and are 15 or 18 characters, a name has neither the prefix nor the shape)
        coalesce(
            lower(field_name) in ('owner', 'ownerid', 'owner_id')
            and new_value like '005%'
            and {{ dbt.length('new_value') }} in (15, 18)
            and new_value not like '% %',
            false
        ) as is_owner_change,

        -- timestamps
        changed_at

    from base
    where row_disposition = 'live'

)

select * from final
