{#-
    One row per rep and month the rep was on the team, so that monthly marts show a month
    with nothing in it as zeros instead of leaving it out. A rep is any user credited with
    an activity, an opportunity created or closed, or a lead, or who holds a rep quota. The
    months run from the rep's hire month (the user's creation; the first record for a user
    the CRM does not hold) to the month of as_of for an active user, or to the month of the
    last record for one no longer active (the CRM keeps no deactivation date); never before
    the first month the CRM has data for.
-#}
with

users as (

    -- the users the CRM held at as_of, as in dim_reps
    select * from {{ ref('dim_reps') }}
    where is_crm_user

),

activities as (

    select * from {{ ref('int_activities_linked') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_as_of') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

quotas as (

    select * from {{ ref('stg_crm__quotas') }}

),

data_start as (

    select * from {{ ref('int_crm_history_start') }}

),

owned_records as (

    select
        rep_id,
        activity_date as record_date
    from activities

    union all

    select
        creating_rep_id as rep_id,
        cast(created_at as date) as record_date
    from opportunities

    union all

    select
        closing_rep_id as rep_id,
        close_date as record_date
    from opportunities
    where is_closed

    union all

    select
        rep_id,
        cast(created_at as date) as record_date
    from leads

    union all

    -- a quota makes its owner a rep, but plans reach back further than the CRM's data
    select
        owner_id as rep_id,
        period_start as record_date
    from quotas
    where scope = 'rep'

),

records_to_date as (

    select *
    from owned_records
    where record_date <= {{ as_of_date() }}

),

reps as (

    select
        rep_id,
        min(record_date) as first_record_date,
        max(record_date) as last_record_date
    from records_to_date
    where rep_id is not null
    group by 1

),

tenure as (

    select
        reps.rep_id,
        cast(
            {{ dbt.date_trunc('month', 'coalesce(users.hire_date, reps.first_record_date)') }}
            as date
        ) as first_month,
        cast({{ dbt.date_trunc('month', 'case
            when users.is_active then ' ~ as_of_date() ~ '
            else reps.last_record_date
        end') }} as date) as last_month
    from reps
    left join users
        on reps.rep_id = users.rep_id

),

months as (

    {{ dbt.date_spine(
        'month',
        'cast(' ~ text_literal(checked_var('calendar_start_date')) ~ ' as date)',
        dbt.dateadd('month', 1, as_of_date()),
    ) }}

),

final as (

    select
        -- ids
        tenure.rep_id,

        -- dates
        cast(months.date_month as date) as month_start

    from tenure
    cross join data_start
    inner join months
        on
            cast(months.date_month as date) >= tenure.first_month
            and cast(months.date_month as date) >= data_start.first_month
            and cast(months.date_month as date) <= tenure.last_month

)

select * from final
