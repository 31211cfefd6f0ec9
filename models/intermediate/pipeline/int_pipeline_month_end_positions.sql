{#-
    Each deal open at the end of each month before as_of: the stage and amount its history
    gave it at that moment, under the rep who owned it then, its amount converted at that
    day's rate. Only history up to the month-end is read, so a past month-end reads the
    same in every later build.
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
        snapshot_date,
        {{ dbt.dateadd('day', 1, 'month_ends.snapshot_date') }} as snapshot_at
    from month_ends
    where snapshot_date < {{ as_of_date() }}

),

history_validity as (

    -- each history row holds from its change until the next change of the deal; of rows
    -- sharing a timestamp the last in id order holds
    select
        opportunity_id,
        stage_key,
        amount,
        probability,
        currency_code,
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
        snapshots.snapshot_at,
        opportunities.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        history_validity.amount,
        coalesce(history_validity.currency_code, opportunities.currency_code) as currency_code,
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
        -- ids
        {{ row_key(['open_at_month_end.snapshot_date', 'open_at_month_end.opportunity_id']) }}
            as pipeline_position_id,
        open_at_month_end.opportunity_id,
        {{ credited_rep_id('owner_then', 'open_at_month_end.snapshot_at') }} as rep_id,

        -- strings
        open_at_month_end.stage_name,
        coalesce(open_at_month_end.currency_code, {{ corporate_currency() }})
            as currency_code,

        -- numerics
        open_at_month_end.stage_order,
        {{ in_corporate_currency('open_at_month_end.amount', 'rates') }} as amount,
        open_at_month_end.amount as amount_in_currency,
        open_at_month_end.probability,

        -- dates
        open_at_month_end.snapshot_date

    from open_at_month_end
    {{ owner_at_join(
        'owner_then', 'open_at_month_end.opportunity_id', 'open_at_month_end.snapshot_at',
    ) }}
    {{ rate_on_join(
        'rates', 'open_at_month_end.currency_code', 'open_at_month_end.snapshot_date',
    ) }}

)

select * from final
