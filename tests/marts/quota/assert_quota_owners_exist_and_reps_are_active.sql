-- A quota's owner is a CRM user, and a rep quota's owner was on the team when its period began
-- (hired by the end of that month, and not gone before it): checked where the CRM sent its
-- users (a missing user table leaves nothing to check against). Quotas are a plan loaded
-- now, so owners, hires and a gone rep's last record are read from the CRM's data as
-- loaded, not as it stood at a past as_of. The CRM keeps no leaving date: a rep no longer
-- active was there until the month of their last record or of the last edit of their user
-- record (deactivating a user edits it), whichever is later; a rep who leaves in the first
-- days of a month often has no record in it.

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

reps as (

    select
        user_id as rep_id,
        is_active,
        cast(created_at as date) as hire_date,
        cast(last_modified_at as date) as last_edit_date
    from {{ ref('stg_crm__users') }}

),

last_records as (

    select
        rep_id,
        max(activity_date) as last_record_date
    from {{ ref('stg_crm__tasks') }}
    group by 1

    union all

    select
        rep_id,
        max(cast(started_at as date)) as last_record_date
    from {{ ref('stg_crm__events') }}
    group by 1

    union all

    select
        rep_id,
        max(case when is_closed then close_date else cast(created_at as date) end)
            as last_record_date
    from {{ ref('stg_crm__opportunities') }}
    group by 1

    union all

    select
        rep_id,
        max(cast(created_at as date)) as last_record_date
    from {{ ref('stg_crm__leads') }}
    group by 1

    union all

    select
        rep_id,
        last_edit_date as last_record_date
    from reps

),

last_months as (

    select
        rep_id,
        cast({{ dbt.date_trunc('month', 'max(last_record_date)') }} as date) as last_month
    from last_records
    group by 1

),

checked as (

    select
        quotas.*,
        reps.hire_date,
        reps.is_active,
        last_months.last_month,
        reps.rep_id as known_owner_id
    from quotas
    left join reps
        on quotas.owner_id = reps.rep_id
    left join last_months
        on quotas.owner_id = last_months.rep_id

),

users_landed as (

    select count(*) > 0 as has_users from reps

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
