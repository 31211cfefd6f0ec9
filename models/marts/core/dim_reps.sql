with

users as (

    -- the users the CRM held at as_of: a user created later did not exist yet
    select *
    from {{ ref('stg_crm__users') }}
    where created_at is null or created_at <= {{ as_of_at() }}

),

roles as (

    select * from {{ ref('stg_crm__user_roles') }}

),

sellers as (

    -- the reps, as opposed to managers and executives: the users who owned a deal at any
    -- time up to as_of, or hold a rep quota
    select owner_periods.owner_id as user_id
    from {{ ref('int_opportunity_owner_periods') }} as owner_periods
    inner join {{ ref('int_opportunities_as_of') }} as opportunities
        on owner_periods.opportunity_id = opportunities.opportunity_id
    where owner_periods.owned_from is null or owner_periods.owned_from <= {{ as_of_at() }}
    union
    select quotas.owner_id as user_id
    from {{ ref('stg_crm__quotas') }} as quotas
    where quotas.scope = 'rep'

),

referenced_users as (

    -- every user a record the CRM held at as_of names as its owner (of a deal at any time
    -- up to as_of), cost or a user's manager; a connector that syncs only some users leaves
    -- ids here that the user table lacks
    select rep_id as user_id from {{ ref('int_activities_linked') }}
    union
    select user_id from sellers
    union
    select leads.rep_id as user_id
    from {{ ref('stg_crm__leads') }} as leads
    where leads.created_at is null or leads.created_at <= {{ as_of_at() }}
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
    where
        referenced_users.user_id is not null
        and referenced_users.user_id != {{ unassigned_rep_id() }}
        and users.user_id is null

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
        sellers.user_id is not null as is_rep,

        -- dates: a rep's tenure starts when the CRM created the user (the hire); no credit,
        -- activity or rep-month is theirs before it
        cast(users.created_at as date) as hire_date,

        -- timestamps
        users.created_at as hired_at

    from users
    left join roles
        on users.user_role_id = roles.user_role_id
    left join users as managers
        on users.manager_id = managers.user_id
    left join sellers
        on users.user_id = sellers.user_id

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
        sellers.user_id is not null as is_rep,

        -- dates: nothing says when they were hired
        cast(null as date) as hire_date,

        -- timestamps
        cast(null as {{ dbt.type_timestamp() }}) as hired_at

    from unknown_users
    left join sellers
        on unknown_users.user_id = sellers.user_id

),

unassigned as (

    -- holds the credit for facts no rep can take: an event before the owner's hire with no
    -- ownership history to say who held the deal then
    select
        -- ids
        {{ unassigned_rep_id() }} as rep_id,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        cast(null as {{ dbt.type_string() }}) as team_id,

        -- strings
        'Unassigned' as rep_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as title,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as team_name,
        cast(null as {{ dbt.type_string() }}) as manager_name,

        -- booleans
        false as is_active,
        false as is_crm_user,
        false as is_rep,

        -- dates
        cast(null as date) as hire_date,

        -- timestamps
        cast(null as {{ dbt.type_timestamp() }}) as hired_at

)

select
    *,
    {{ build_columns() }}
from final
union all
select
    *,
    {{ build_columns() }}
from unknown_reps
union all
select
    *,
    {{ build_columns() }}
from unassigned
