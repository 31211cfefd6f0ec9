with

completed_stays as (

    -- a stay still running at as_of has no length yet; closed stages count where a
    -- reopened deal left one
    select * from {{ ref('fct_stage_intervals') }}
    where exited_at is not null

),

by_rep as (

    select
        rep_id,
        stage_name,
        min(stage_order) as stage_order,
        count(*) as stays,
        {{ safe_divide('sum(seconds_in_stage)', 'count(*) * 86400') }} as avg_days_in_stage,
        {{ median_of('days_in_stage') }} as median_days_in_stage
    from completed_stays
    -- a deal without an owner counts in the all-reps row only: a rep row with a null
    -- rep_id would be mistaken for it
    where rep_id is not null
    group by 1, 2

),

all_reps as (

    select
        cast(null as {{ dbt.type_string() }}) as rep_id,
        stage_name,
        min(stage_order) as stage_order,
        count(*) as stays,
        {{ safe_divide('sum(seconds_in_stage)', 'count(*) * 86400') }} as avg_days_in_stage,
        {{ median_of('days_in_stage') }} as median_days_in_stage
    from completed_stays
    group by 2

),

unioned as (

    select * from by_rep
    union all
    select * from all_reps

),

final as (

    select
        {{ dbt.concat(["coalesce(rep_id, 'all reps')", "'#'", 'stage_name']) }}
            as stage_durations_id,
        rep_id,
        stage_name,
        stage_order,
        stays,
        cast(avg_days_in_stage as double precision) as avg_days_in_stage,
        cast(median_days_in_stage as double precision) as median_days_in_stage

    from unioned

)

select * from final
