{#-
    The quota plan from both ends: for each team quota, the target set top-down beside the
    sum of its reps' own quotas (bottom-up) and the gap; for each of those reps, an even
    share of the team quota beside the rep's own quota. A gap says the plan does not add up
    before the period starts, where quota_attainment only shows it afterwards.
-#}
with

quotas as (

    -- targets as quota_attainment states them (a forecast's derived target included)
    select * from {{ ref('quota_attainment') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

team_quotas as (

    select * from quotas
    where scope = 'team'

),

rep_quotas as (

    select * from quotas
    where scope = 'rep'

),

team_members as (

    -- the sellers of a team quota: reps whose manager owns it (as in quota_attainment) and
    -- who are on the team for the plan, being active or holding their own quota of the
    -- period; a manager's assistant or a rep who left takes no share of it
    select
        team_quotas.quota_id as team_quota_id,
        team_quotas.owner_id as team_owner_id,
        team_quotas.period_type,
        team_quotas.period_start,
        team_quotas.quota_type,
        team_quotas.target_value as team_target,
        reps.rep_id,
        rep_quotas.target_value as rep_target
    from team_quotas
    inner join reps
        on team_quotas.owner_id = reps.manager_id
    left join rep_quotas
        on
            reps.rep_id = rep_quotas.owner_id
            and team_quotas.period_type = rep_quotas.period_type
            and team_quotas.period_start = rep_quotas.period_start
            and team_quotas.quota_type = rep_quotas.quota_type
    where reps.is_rep and (reps.is_active or rep_quotas.quota_id is not null)

),

member_plans as (

    select
        *,
        count(*) over (partition by team_quota_id) as team_reps
    from team_members

),

team_rows as (

    select
        team_quotas.owner_id,
        'team' as scope,
        team_quotas.period_type,
        team_quotas.period_start,
        team_quotas.quota_type,
        team_quotas.target_value as top_down,
        sum(member_plans.rep_target) as bottom_up,
        count(member_plans.rep_id) as reps,
        count(member_plans.rep_target) as reps_with_quota
    from team_quotas
    left join member_plans
        on team_quotas.quota_id = member_plans.team_quota_id
    group by 1, 2, 3, 4, 5, 6

),

rep_rows as (

    select
        rep_id as owner_id,
        'rep' as scope,
        period_type,
        period_start,
        quota_type,
        team_target / team_reps as top_down,
        rep_target as bottom_up,
        1 as reps,
        case when rep_target is null then 0 else 1 end as reps_with_quota
    from member_plans

),

stacked as (

    select * from team_rows
    union all
    select * from rep_rows

),

final as (

    select
        -- ids
        {{ row_key(['owner_id', 'scope', 'period_type', 'period_start', 'quota_type']) }}
            as quota_plan_id,
        owner_id,

        -- strings
        scope,
        period_type,
        quota_type,

        -- dates
        period_start,

        -- numerics
        cast(top_down as {{ dbt.type_numeric() }}) as top_down,
        cast(bottom_up as {{ dbt.type_numeric() }}) as bottom_up,
        cast(top_down - bottom_up as {{ dbt.type_numeric() }}) as gap,
        {{ safe_divide('bottom_up', 'top_down') }} as bottom_up_share_of_top_down,
        cast(reps as {{ dbt.type_bigint() }}) as reps,
        cast(reps_with_quota as {{ dbt.type_bigint() }}) as reps_with_quota

    from stacked

)

select
    *,
    {{ build_columns() }}
from final
