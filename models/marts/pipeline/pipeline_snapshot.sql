{#-
    The open pipeline as it stood at the end of each month: for every month-end before
    as_of, each open deal in the stage and with the amount its history gave it at that
    moment. Only history up to the month-end is read, so a past month-end reads the same
    in every later build.
-#}
with

history as (

    select * from {{ ref('int_opportunity_histories_attached') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

as_of as (

    select cast({{ to_reporting_time(as_of()) }} as date) as as_of_date

),

first_month as (

    select cast({{ dbt.date_trunc('month', 'min(created_date)') }} as date) as month_start
    from opportunities

),

month_ends as (

    select
        dates.month_start,
        max(dates.date_day) as snapshot_date
    from dates
    inner join first_month
        on dates.month_start >= first_month.month_start
    group by 1

),

snapshots as (

    -- every month-end from the month of the first deal to the last one before as_of; the
    -- snapshot is taken at the end of that day
    select
        month_ends.snapshot_date,
        {{ dbt.dateadd('day', 1, 'month_ends.snapshot_date') }} as snapshot_at
    from month_ends
    cross join as_of
    where month_ends.snapshot_date < as_of.as_of_date

),

history_validity as (

    -- each history row holds from its change until the next change of the deal; of rows
    -- sharing a timestamp the last in id order holds
    select
        opportunity_id,
        stage_key,
        amount,
        probability,
        changed_at as valid_from,
        lead(changed_at) over (
            partition by opportunity_id
            order by changed_at, opportunity_history_id
        ) as valid_to

    from history

),

open_at_month_end as (

    select
        snapshots.snapshot_date,
        opportunities.rep_id,
        stages.stage_name,
        stages.stage_order,
        history_validity.amount,
        coalesce(history_validity.probability, stages.default_probability) as probability

    from snapshots
    inner join history_validity
        on
            snapshots.snapshot_at > history_validity.valid_from
            and (
                history_validity.valid_to is null
                or snapshots.snapshot_at <= history_validity.valid_to
            )
    inner join stages
        on history_validity.stage_key = stages.stage_key
    inner join opportunities
        on history_validity.opportunity_id = opportunities.opportunity_id
    where not stages.is_closed

),

final as (

    select
        {{ row_key(['snapshot_date', 'rep_id', 'stage_name']) }} as pipeline_snapshot_id,
        snapshot_date,
        rep_id,
        stage_name,
        min(stage_order) as stage_order,
        count(*) as open_opportunities,
        cast(coalesce(sum(amount), 0) as {{ dbt.type_numeric() }}) as open_amount,
        cast(coalesce(sum(amount * probability / 100), 0) as {{ dbt.type_numeric() }})
            as weighted_amount

    from open_at_month_end
    group by 1, 2, 3, 4

)

select * from final
