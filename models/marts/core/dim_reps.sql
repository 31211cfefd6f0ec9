with

users as (

    select * from {{ ref('stg_crm__users') }}

),

roles as (

    select * from {{ ref('stg_crm__user_roles') }}

),

referenced_users as (

    -- every user a record names as its owner, cost or a user's manager; a connector that
    -- syncs only some users leaves ids here that the user table lacks
    select rep_id as user_id from {{ ref('int_activities_typed') }}
    union
    select rep_id as user_id from {{ ref('stg_crm__opportunities') }}
    union
    select rep_id as user_id from {{ ref('stg_crm__leads') }}
    union
    select owner_id as user_id from {{ ref('stg_crm__quotas') }}
    union
    select user_id from {{ ref('stg_crm__rep_costs') }}
    union
    select manager_id as user_id from users

),

unknown_users as (

    select referenced_users.user_id
    from referenced_users
    left join users
        on referenced_users.user_id = users.user_id
    where referenced_users.user_id is not null and users.user_id is null

),

first_deals as (

    select
        rep_id,
        min(cast(created_at as date)) as first_opportunity_date
    from {{ ref('stg_crm__opportunities') }}
    group by 1

),

final as (

    select
        -- ids
        users.user_id as rep_id,
        users.manager_id,
        users.user_role_id as team_id,

        -- strings
        users.user_name as rep_name,
        users.email,
        users.title,
        users.region,
        roles.role_name as team_name,
        managers.user_name as manager_name,

        -- booleans
        coalesce(users.is_active, false) as is_active,
        true as is_crm_user,

        -- dates: a rep is first seen when the CRM created the user or the rep's first
        -- deal, whichever came first (users are sometimes created after their first deal
        -- in a migration)
        case
            when first_deals.first_opportunity_date is null then cast(users.created_at as date)
            when users.created_at is null then first_deals.first_opportunity_date
            when first_deals.first_opportunity_date < cast(users.created_at as date)
                then first_deals.first_opportunity_date
            else cast(users.created_at as date)
        end as hire_date

    from users
    left join roles
        on users.user_role_id = roles.user_role_id
    left join users as managers
        on users.manager_id = managers.user_id
    left join first_deals
        on users.user_id = first_deals.rep_id

),

unknown_reps as (

    -- their records still count for them; what the CRM would say of them is unknown
    select
        -- ids
        unknown_users.user_id as rep_id,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        cast(null as {{ dbt.type_string() }}) as team_id,

        -- strings
        cast(null as {{ dbt.type_string() }}) as rep_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as title,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as team_name,
        cast(null as {{ dbt.type_string() }}) as manager_name,

        -- booleans
        false as is_active,
        false as is_crm_user,

        -- dates
        first_deals.first_opportunity_date as hire_date

    from unknown_users
    left join first_deals
        on unknown_users.user_id = first_deals.rep_id

)

select * from final
union all
select * from unknown_reps
