-- A top-down team quota equals the sum of the same-period, same-type quotas of the team's reps
-- (the reps the owner manages, in the user table as loaded: the plan covers reps hired after
-- a past as_of too), within 0.5%, wherever those rep quotas exist.

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

reps as (

    select
        user_id as rep_id,
        manager_id
    from {{ ref('stg_crm__users') }}

),

team_quotas as (

    select * from quotas
    where scope = 'team' and quota_method = 'top_down'

),

allocated as (

    select
        team_quotas.quota_id,
        count(rep_quotas.quota_id) as rep_quotas,
        sum(rep_quotas.target_value) as allocated_value
    from team_quotas
    inner join reps
        on team_quotas.owner_id = reps.manager_id
    inner join quotas as rep_quotas
        on
            reps.rep_id = rep_quotas.owner_id
            and team_quotas.period_type = rep_quotas.period_type
            and team_quotas.period_start = rep_quotas.period_start
            and team_quotas.quota_type = rep_quotas.quota_type
    where rep_quotas.scope = 'rep'
    group by 1

),

compared as (

    select
        team_quotas.quota_id,
        team_quotas.owner_id,
        team_quotas.period_type,
        team_quotas.period_start,
        team_quotas.quota_type,
        team_quotas.target_value as team_target,
        allocated.rep_quotas,
        allocated.allocated_value,
        allocated.allocated_value - team_quotas.target_value as difference
    from team_quotas
    inner join allocated
        on team_quotas.quota_id = allocated.quota_id

)

select
    quota_id,
    owner_id,
    period_type,
    period_start,
    quota_type,
    team_target,
    rep_quotas,
    allocated_value,
    difference,
    {{ dbt.concat([
        "'the rep quotas sum to '", money_text('allocated_value'),
        "case when difference < 0 then ', short of' else ', over' end",
        "' the team quota of '", money_text('team_target'),
        "' by '", money_text('abs(difference)'),
    ]) }} as problem

from compared
where abs(difference) > 0.005 * abs(team_target)
