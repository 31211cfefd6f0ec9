{#-
    Who owned each live opportunity when: one row per period of one owner, from the id
    rows of the owner changes in opportunity_field_history (the name rows Salesforce writes
    beside them are not changes). Before its first change a deal was its old owner's; a
    deal without recorded changes has had its current owner all along. owned_from null
    means since the deal began, owned_until null means still. Each period carries its
    owner's hire (the user's creation), so a fact can be credited to the owner only once
    they were hired. Every change is read, also those after as_of: a change's old value
    is who owned the deal up to it, which is what the CRM said at as_of.
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

owner_changes as (

    select
        opportunity_id,
        old_value as previous_owner_id,
        new_value as owner_id,
        changed_at,
        row_number() over (
            partition by opportunity_id
            order by changed_at, opportunity_field_history_id
        ) as change_number,
        lead(changed_at) over (
            partition by opportunity_id
            order by changed_at, opportunity_field_history_id
        ) as next_changed_at

    from {{ ref('int_opportunity_field_histories_attached') }}
    where is_owner_change

),

periods as (

    -- the owner before the first change
    select
        opportunity_id,
        previous_owner_id as owner_id,
        0 as period_number,
        cast(null as {{ dbt.type_timestamp() }}) as owned_from,
        changed_at as owned_until
    from owner_changes
    where change_number = 1

    union all

    -- the owner after each change
    select
        opportunity_id,
        owner_id,
        change_number as period_number,
        changed_at as owned_from,
        next_changed_at as owned_until
    from owner_changes

    union all

    -- deals whose owner never changed
    select
        opportunities.opportunity_id,
        opportunities.rep_id as owner_id,
        0 as period_number,
        cast(null as {{ dbt.type_timestamp() }}) as owned_from,
        cast(null as {{ dbt.type_timestamp() }}) as owned_until
    from opportunities
    left join owner_changes
        on
            opportunities.opportunity_id = owner_changes.opportunity_id
            and owner_changes.change_number = 1
    where owner_changes.opportunity_id is null

),

final as (

    select
        -- ids
        {{ row_key(['periods.opportunity_id', 'periods.period_number']) }}
            as opportunity_owner_period_id,
        periods.opportunity_id,
        periods.owner_id,

        -- numerics
        periods.period_number,

        -- timestamps
        periods.owned_from,
        periods.owned_until,
        owners.created_at as owner_hired_at

    from periods
    left join {{ ref('stg_crm__users') }} as owners
        on periods.owner_id = owners.user_id

)

select * from final
