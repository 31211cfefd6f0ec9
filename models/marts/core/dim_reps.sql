with

users as (

    select * from {{ ref('stg_crm__users') }}

),

roles as (

    select * from {{ ref('stg_crm__user_roles') }}

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

)

select * from final
