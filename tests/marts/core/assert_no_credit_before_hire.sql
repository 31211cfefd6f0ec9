-- A rep's tenure starts at hire (the user's creation): no deal created or closed, stay,
-- month-end position, activity or rep-month is credited to a rep before it. Where no
-- ownership history says who held a deal then, the credit is 'unassigned' instead.

with

reps as (

    select * from {{ ref('dim_reps') }}
    where hired_at is not null

),

credits as (

    select
        creating_rep_id as rep_id,
        created_at as credited_at,
        opportunity_id as record_id,
        'deal created' as credit
    from {{ ref('fct_opportunities') }}

    union all

    select
        closing_rep_id as rep_id,
        closed_at as credited_at,
        opportunity_id as record_id,
        'deal closed' as credit
    from {{ ref('fct_opportunities') }}
    where is_closed

    union all

    select
        rep_id,
        entered_at as credited_at,
        stage_interval_id as record_id,
        'stage stay' as credit
    from {{ ref('fct_stage_intervals') }}

    union all

    -- the end of the month-end day: the moment the position was read
    select
        rep_id,
        {{ dbt.dateadd('day', 1, 'snapshot_date') }} as credited_at,
        pipeline_position_id as record_id,
        'pipeline position' as credit
    from {{ ref('int_pipeline_month_end_positions') }}

    union all

    -- activities and months are days: the whole hire day and month count
    select
        rep_id,
        {{ dbt.dateadd('day', 1, 'activity_date') }} as credited_at,
        activity_id as record_id,
        'activity' as credit
    from {{ ref('fct_activities') }}

    union all

    select
        rep_id,
        {{ dbt.dateadd('month', 1, 'month_start') }} as credited_at,
        rep_activity_monthly_id as record_id,
        'rep-month' as credit
    from {{ ref('rep_activity_monthly') }}

)

select
    credits.rep_id,
    reps.hired_at,
    credits.credit,
    credits.record_id,
    credits.credited_at,
    'credited before the rep was hired' as problem

from credits
inner join reps
    on credits.rep_id = reps.rep_id
where credits.credited_at < reps.hired_at
