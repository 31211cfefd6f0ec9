-- A stay ends no earlier than it began, lasts zero days or more, and an opportunity has
-- at most one current stay.

with

intervals as (

    select * from {{ ref('fct_stage_intervals') }}

),

backwards as (

    select
        opportunity_id,
        stage_interval_id,
        'exited before it was entered, or negative days in stage' as problem
    from intervals
    where exited_at < entered_at or days_in_stage < 0

),

several_current as (

    select
        opportunity_id,
        min(stage_interval_id) as stage_interval_id,
        'more than one current stay' as problem
    from intervals
    where is_current
    group by 1
    having count(*) > 1

)

select * from backwards
union all
select * from several_current
