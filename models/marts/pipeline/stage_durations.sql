with

completed_stays as (

    -- a stay still running at as_of has no length yet; closed stages count where a
    -- reopened deal left one
    select * from {{ ref('fct_stage_intervals') }}
    where exited_at is not null

),

stays_by_scope as (

    -- each stay once under its rep and once under all reps (rep_id null), so the
    -- measures below are written once; a deal without an owner counts in the all-reps
    -- row only: a rep row with a null rep_id would be mistaken for it
    select
        rep_id,
        stage_name,
        stage_order,
        seconds_in_stage,
        days_in_stage
    from completed_stays
    where rep_id is not null

    union all

    select
        cast(null as {{ dbt.type_string() }}) as rep_id,
        stage_name,
        stage_order,
        seconds_in_stage,
        days_in_stage
    from completed_stays

),

measures as (

    select
        rep_id,
        stage_name,
        min(stage_order) as stage_order,
        count(*) as stays,
        {{ safe_divide('sum(seconds_in_stage)', 'count(*) * 86400') }} as avg_days_in_stage,
        {{ median_of('days_in_stage') }} as median_days_in_stage
    from stays_by_scope
    group by 1, 2

),

final as (

    select
        {{ row_key(["coalesce(rep_id, 'all reps')", 'stage_name']) }} as stage_durations_id,
        rep_id,
        stage_name,
        stage_order,
        stays,
        cast(avg_days_in_stage as {{ type_double() }}) as avg_days_in_stage,
        cast(median_days_in_stage as {{ type_double() }}) as median_days_in_stage

    from measures

)

select
    *,
    {{ build_columns() }}
from final
