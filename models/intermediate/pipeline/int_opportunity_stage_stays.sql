{#-
    Stays of opportunities in stages, from their history up to as_of: history rows in
    order of change time then id, consecutive rows in the same stage forming one stay.
    Rows that share a timestamp stay separate, so a stage entered and left at the same
    instant is a stay of zero length. A deal with no history row by as_of (the CRM wrote
    none, or the connector lost them) stands in its current stage since its creation: one
    stay, as int_opportunities_as_of reads such a deal's state from its current row, so
    that every deal has a current stay; a warning test lists those deals.
-#}
with

history as (

    select * from {{ ref('int_opportunity_histories_attached') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

),

ordered as (

    select
        history.opportunity_id,
        history.opportunity_history_id,
        history.changed_at,
        stages.stage_name,
        stages.stage_order,
        stages.is_closed,
        lag(stages.stage_name) over (
            partition by history.opportunity_id
            order by history.changed_at, history.opportunity_history_id
        ) as previous_stage_name,
        row_number() over (
            partition by history.opportunity_id
            order by history.changed_at, history.opportunity_history_id
        ) as change_number

    from history
    inner join stages
        on history.stage_key = stages.stage_key
    where history.changed_at <= {{ as_of_at() }}

),

stay_starts as (

    select
        *,
        lead(changed_at) over (
            partition by opportunity_id order by change_number
        ) as exited_at,
        lead(stage_name) over (
            partition by opportunity_id order by change_number
        ) as next_stage_name,
        -- numbered here, in the same window as the next stay, so that the stay starts are
        -- sorted once
        row_number() over (
            partition by opportunity_id order by change_number
        ) as stay_number

    from ordered
    where previous_stage_name is null or previous_stage_name != stage_name

),

stays_from_history as (

    select
        opportunity_id,
        opportunity_history_id as entered_by_history_id,
        stay_number,
        stage_name,
        stage_order,
        is_closed as is_closed_stage,
        next_stage_name,
        changed_at as entered_at,
        exited_at

    from stay_starts

),

stays_without_history as (

    select
        opportunities.opportunity_id,
        cast(null as {{ dbt.type_string() }}) as entered_by_history_id,
        cast(1 as {{ dbt.type_bigint() }}) as stay_number,
        stages.stage_name,
        stages.stage_order,
        stages.is_closed as is_closed_stage,
        cast(null as {{ dbt.type_string() }}) as next_stage_name,
        opportunities.created_at as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at

    from opportunities
    inner join stages
        on opportunities.stage_key = stages.stage_key
    where
        opportunities.created_at <= {{ as_of_at() }}
        and not exists (
            select ordered.opportunity_id from ordered
            where ordered.opportunity_id = opportunities.opportunity_id
        )

),

all_stays as (

    select * from stays_from_history
    union all
    select * from stays_without_history

),

stays as (

    select
        *,
        exited_at is null as is_current,
        -- whole seconds, so sums and averages over stays are exact and the same on every
        -- build (a sum of doubles depends on the order a parallel engine adds them in)
        cast({{ dbt.datediff(
            'entered_at',
            'coalesce(exited_at, ' ~ as_of_at() ~ ')',
            'second',
        ) }} as {{ dbt.type_bigint() }}) as seconds_in_stage

    from all_stays

),

final as (

    select
        *,
        -- a double on every engine: a decimal division keeps another number of digits on each
        -- (Spark rounds to seven), and the marts read days as doubles
        cast(seconds_in_stage as {{ type_double() }}) / 86400 as days_in_stage
    from stays

)

select * from final
