-- A quota's owner is a CRM user, and a rep quota's owner was on the team when its period began
-- (hired by the end of that month, and not gone before it): checked where the CRM sent its
-- users (a missing user table leaves nothing to check against).
{{ config(store_failures=true) }}

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

last_months as (

    select
        rep_id,
        max(month_start) as last_month
    from rep_months
    group by 1

),

checked as (

    select
        quotas.*,
        reps.hire_date,
        reps.is_active,
        last_months.last_month,
        case when reps.is_crm_user then reps.rep_id end as known_owner_id
    from quotas
    left join reps
        on quotas.owner_id = reps.rep_id
    left join last_months
        on quotas.owner_id = last_months.rep_id

),

users_landed as (

    select count(case when is_crm_user then 1 end) > 0 as has_users from reps

),

problems as (

    select
        quota_id,
        owner_id,
        scope,
        period_type,
        period_start,
        hire_date,
        last_month,
        case
            when known_owner_id is null then 'the owner is not a CRM user'
            when scope = 'rep' and {{ dbt.date_trunc('month', 'hire_date') }} > period_start
                then {{ dbt.concat([
                    "'the rep was hired on '", "cast(hire_date as " ~ dbt.type_string() ~ ")",
                    "', after the period began'",
                ]) }}
            when
                scope = 'rep'
                and not is_active
                and (last_month is null or last_month < period_start)
                then {{ dbt.concat([
                    "'the rep is no longer active and was last seen in the month of '",
                    "coalesce(cast(last_month as " ~ dbt.type_string() ~ "), 'never')",
                ]) }}
        end as problem
    from checked

),

final as (

    select problems.*
    from problems
    cross join users_landed
    where problems.problem is not null and users_landed.has_users

)

select * from final
