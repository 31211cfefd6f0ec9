{#-
    The stage changes of live opportunities, from whichever record of them the CRM landed:
    Salesforce's OpportunityHistory rows, or else the versions of the deal that Fivetran's
    history mode keeps (in a history-mode copy landed as opportunity_history, or in the
    opportunity table itself). Each deal takes its changes from one record only, the first
    in that order that has any, so the same change is never counted twice. On a daily run,
    only the changes of the deals that can read differently since the last build
    (macros/opportunities_to_recompute.sql).
-#}
{%- set incremental_inputs = opportunity_records_read() + ['int_opportunity_children_attached'] %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}
{{ depends_on_incremental_inputs(incremental_inputs) }}

with
{%- if plan.by_key %}

deals_to_recompute as (

    {{ opportunity_ids_loaded_since(plan) }}

),
{%- endif %}

history as (

    select * from {{ ref('stg_crm__opportunity_histories') }}
    {%- if plan.by_key %}
    where opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- endif %}

),

attached as (

    select record_id
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = 'opportunity_history' and row_disposition = 'live'

),

live_opportunities as (

    select opportunity_id from {{ ref('stg_crm__opportunities') }}
    {%- if plan.by_key %}
    where opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- endif %}

),

opportunity_versions as (

    -- every usable version of a live deal in an opportunity table in history mode
    select
        {{ dbt.concat([
            'versions.opportunity_id', "'@'",
            "cast(versions._version_started_at_utc as " ~ dbt.type_string() ~ ")",
        ]) }} as opportunity_history_id,
        versions.opportunity_id,
        'history_mode_opportunity' as change_source,
        versions.stage_name,
        versions.stage_key,
        versions.forecast_category,
        versions.currency_code,
        versions.amount,
        versions.probability,
        versions.close_date,
        {{ to_reporting_time('versions._version_started_at_utc') }} as changed_at,
        3 as source_rank

    from {{ ref('base_crm__opportunities') }} as versions
    inner join live_opportunities
        on versions.opportunity_id = live_opportunities.opportunity_id
    where
        versions._version_started_at_utc is not null
        and versions.quarantine_reason is null

),

recorded_changes as (

    select
        history.opportunity_history_id,
        history.opportunity_id,
        history.change_source,
        history.stage_name,
        history.stage_key,
        history.forecast_category,
        history.currency_code,
        history.amount,
        history.probability,
        history.close_date,
        history.changed_at,
        case when history.change_source = 'opportunity_history' then 1 else 2 end as source_rank

    from history
    inner join attached
        on history.opportunity_history_id = attached.record_id

),

changes as (

    select * from recorded_changes
    union all
    select * from opportunity_versions

),

ranked as (

    select
        *,
        min(source_rank) over (partition by opportunity_id) as best_source_rank
    from changes

),

final as (

    select
        -- ids
        opportunity_history_id,
        opportunity_id,

        -- strings
        change_source,
        stage_name,
        stage_key,
        forecast_category,
        currency_code,

        -- numerics
        amount,
        probability,

        -- dates
        close_date,

        -- timestamps
        changed_at

    from ranked
    where source_rank = best_source_rank

)

select * from final
