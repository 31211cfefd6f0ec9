{#-
    The opportunities as the CRM held them at as_of: one row per live deal created by then,
    with the stage, amount, probability, close date and currency of its last history row
    at or before as_of (its current row where it has none), so is_closed and is_won are
    those of that stage. Who gets the credit is read from the ownership at the time of
    each fact: the owner at creation, at the close (when the deal entered its closed
    stage, else on its close date), and at as_of. Amounts are also given in the corporate
    currency, at the rate of the close date (an open deal's: as_of's date).
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

history as (

    select * from {{ ref('int_opportunity_histories_attached') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

),

current_stays as (

    select * from {{ ref('int_opportunity_stage_stays') }}
    where is_current

),

last_changes as (

    select
        opportunity_id,
        stage_key,
        amount,
        probability,
        close_date,
        currency_code,
        row_number() over (
            partition by opportunity_id
            order by changed_at desc, opportunity_history_id desc
        ) as recency

    from history
    where changed_at <= {{ as_of_at() }}

),

states as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.opportunity_name,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.forecast_category,
        opportunities.created_at,
        opportunities.is_closed as current_row_is_closed,
        opportunities.is_won as current_row_is_won,
        {%- for column in pass_through_columns('opportunity') %}
        opportunities.{{ adapter.quote(column.alias) }},
        {%- endfor %}
        last_changes.opportunity_id is not null as is_from_history,
        coalesce(last_changes.stage_key, opportunities.stage_key) as stage_key,
        case
            when last_changes.opportunity_id is null then opportunities.amount
            else last_changes.amount
        end as amount_in_currency,
        case
            when last_changes.opportunity_id is null then opportunities.probability
            else last_changes.probability
        end as probability,
        case
            when last_changes.opportunity_id is null then opportunities.close_date
            else last_changes.close_date
        end as close_date,
        coalesce(last_changes.currency_code, opportunities.currency_code) as currency_code

    from opportunities
    left join last_changes
        on
            opportunities.opportunity_id = last_changes.opportunity_id
            and last_changes.recency = 1
    where opportunities.created_at <= {{ as_of_at() }}

),

flagged as (

    -- a stage read from history takes the catalogue's flags; the current row keeps its own
    select
        states.*,
        stages.stage_name,
        case when states.is_from_history then stages.is_closed else states.current_row_is_closed end
            as is_closed,
        case when states.is_from_history then stages.is_won else states.current_row_is_won end
            as is_won

    from states
    inner join stages
        on states.stage_key = stages.stage_key

),

timed as (

    select
        flagged.*,
        case
            when flagged.is_closed
                then coalesce(
                    current_stays.entered_at,
                    cast(flagged.close_date as {{ dbt.type_timestamp() }})
                )
        end as closed_at,
        case when flagged.is_closed then flagged.close_date else {{ as_of_date() }} end
            as rate_date,
        {{ as_of_at() }} as as_of_at

    from flagged
    left join current_stays
        on
            flagged.opportunity_id = current_stays.opportunity_id
            and current_stays.is_closed_stage

),

final as (

    select
        -- ids
        timed.opportunity_id,
        timed.account_id,
        {{ credited_rep_id('owner_now', 'timed.as_of_at') }} as rep_id,
        {{ credited_rep_id('owner_at_creation', 'timed.created_at') }} as creating_rep_id,
        case
            when timed.is_closed then {{ credited_rep_id('owner_at_close', 'timed.closed_at') }}
        end as closing_rep_id,

        -- strings
        timed.opportunity_name,
        timed.stage_name,
        timed.stage_key,
        timed.opportunity_type,
        timed.lead_source,
        timed.forecast_category,
        coalesce(timed.currency_code, {{ corporate_currency() }}) as currency_code,

        -- numerics
        {{ in_corporate_currency('timed.amount_in_currency', 'rates') }} as amount,
        timed.amount_in_currency,
        rates.conversion_rate,
        timed.probability,

        -- booleans
        timed.is_closed,
        timed.is_won,

        -- dates
        timed.close_date,
        timed.rate_date,

        -- timestamps
        timed.created_at,
        timed.closed_at{% for column in pass_through_columns('opportunity') %},
        timed.{{ adapter.quote(column.alias) }}{% endfor %}

    from timed
    {{ owner_at_join('owner_now', 'timed.opportunity_id', 'timed.as_of_at') }}
    {{ owner_at_join('owner_at_creation', 'timed.opportunity_id', 'timed.created_at') }}
    {{ owner_at_join('owner_at_close', 'timed.opportunity_id', 'timed.closed_at') }}
    {{ rate_on_join('rates', 'timed.currency_code', 'timed.rate_date') }}

)

select * from final
