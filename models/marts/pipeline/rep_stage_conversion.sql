{#-
    Stage-to-stage conversion by the month a deal reached a stage. A deal reaches an
    open stage S when it stays in S or in any later open stage, or is won (Closed Won
    reaches every open stage; Closed Lost reaches none), so a skipped stage counts as
    reached, at the moment the deal first stood at S or beyond.
-#}
with

stays as (

    select * from {{ ref('fct_stage_intervals') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

),

won_stage as (

    select min(stage_name) as stage_name
    from stages
    where is_won

),

open_stages as (

    -- each open stage and the next one in catalogue order; the last open stage leads to
    -- the won stage
    select
        stages.stage_name as from_stage,
        stages.stage_order as from_order,
        coalesce(
            lead(stages.stage_name) over (order by stages.stage_order),
            won_stage.stage_name
        ) as to_stage,
        lead(stages.stage_order) over (order by stages.stage_order) as to_order
    from stages
    cross join won_stage
    where not stages.is_closed

),

reach_points as (

    -- how far along the funnel each stay put the deal: a won stay is past every stage
    select
        stays.opportunity_id,
        stays.entered_at,
        case when stages.is_won then 1000000 else stays.stage_order end as reached_order
    from stays
    inner join stages
        on stays.stage_name = stages.stage_name
    where not stages.is_closed or stages.is_won

),

reached as (

    select
        reach_points.opportunity_id,
        open_stages.from_stage,
        open_stages.to_stage,
        min(reach_points.entered_at) as reached_at,
        max(
            case
                when reach_points.reached_order >= coalesce(open_stages.to_order, 1000000)
                    then 1
                else 0
            end
        ) as reached_next

    from reach_points
    inner join open_stages
        on reach_points.reached_order >= open_stages.from_order
    group by 1, 2, 3

),

reached_by_rep as (

    -- credited to the owner when the deal reached the stage
    select
        reached.*,
        {{ credited_rep_id('owner_then', 'reached.reached_at') }} as rep_id
    from reached
    {{ owner_at_join('owner_then', 'reached.opportunity_id', 'reached.reached_at') }}

),

cohorts as (

    select
        reached.rep_id,
        cast({{ dbt.date_trunc('month', 'reached.reached_at') }} as date) as cohort_month,
        reached.from_stage,
        reached.to_stage,
        count(*) as reached_from,
        sum(reached.reached_next) as reached_next,
        -- still in the stage and not yet past it (a deal moved back from a later stage has
        -- already converted)
        count(
            case
                when
                    not opportunities.is_closed
                    and opportunities.stage_name = reached.from_stage
                    and reached.reached_next = 0
                    then 1
            end
        ) as still_open

    from reached_by_rep as reached
    inner join opportunities
        on reached.opportunity_id = opportunities.opportunity_id
    group by 1, 2, 3, 4

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'cohort_month', 'from_stage']) }} as rep_stage_conversion_id,
        rep_id,

        -- strings
        from_stage,
        to_stage,

        -- dates
        cohort_month,

        -- numerics
        cast(reached_from as {{ dbt.type_bigint() }}) as reached_from,
        cast(reached_next as {{ dbt.type_bigint() }}) as reached_next,
        cast(still_open as {{ dbt.type_bigint() }}) as still_open,
        -- over the deals that have left the stage one way or the other, so that a young
        -- cohort whose deals are still working through the stage is not read as a drop-off
        {{ safe_divide('reached_next', 'reached_from - still_open') }} as conversion_rate,
        {{ safe_divide('reached_next', 'reached_from') }} as conversion_rate_to_date

    from cohorts

)

select
    *,
    {{ build_columns() }}
from final
