{#-
    History rows, field history rows and line items checked against their opportunity. A child of an
    opportunity that is not live (deleted, quarantined, or only stale versions) leaves
    with it; a child of an opportunity the CRM never sent is quarantined as an orphan. On a
    daily run, only the children of the deals that can read differently since the last
    build (macros/opportunities_to_recompute.sql).
-#}
{%- set incremental_inputs = opportunity_records_read() %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}

with
{%- if plan.by_key %}

deals_to_recompute as (

    {{ opportunity_ids_loaded_since(plan) }}

),
{%- endif %}

opportunities as (

    select
        opportunity_id,
        max(case when row_disposition = 'live' then 1 else 0 end) as is_live
    from {{ ref('base_crm__opportunities') }}
    where opportunity_id is not null
    group by 1

),

history as (

    select
        'opportunity_history' as source_table,
        opportunity_history_id as record_id,
        opportunity_id,
        _source_row,
        _loaded_at,
        raw_values
    from {{ ref('base_crm__opportunity_histories') }}
    {%- if plan.by_key %}
    where
        row_disposition = 'live'
        and opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- else %}
    where row_disposition = 'live'
    {%- endif %}

),

line_items as (

    select
        'opportunity_line_item' as source_table,
        opportunity_line_item_id as record_id,
        opportunity_id,
        _source_row,
        _loaded_at,
        raw_values
    from {{ ref('base_crm__opportunity_line_items') }}
    {%- if plan.by_key %}
    where
        row_disposition = 'live'
        and opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- else %}
    where row_disposition = 'live'
    {%- endif %}

),

field_history as (

    select
        'opportunity_field_history' as source_table,
        opportunity_field_history_id as record_id,
        opportunity_id,
        _source_row,
        _loaded_at,
        raw_values
    from {{ ref('base_crm__opportunity_field_histories') }}
    {%- if plan.by_key %}
    where
        row_disposition = 'live'
        and opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- else %}
    where row_disposition = 'live'
    {%- endif %}

),

children as (

    select * from history
    union all
    select * from field_history
    union all
    select * from line_items

),

final as (

    select
        children.source_table,
        children.record_id,
        children.opportunity_id,
        children._source_row,
        children._loaded_at,
        -- only the quarantine shows raw values: written for millions of live children, the
        -- string cost more than the rest of the model
        case
            when opportunities.opportunity_id is null then children.raw_values
        end as raw_values,
        case
            when opportunities.opportunity_id is null then 'quarantined'
            when opportunities.is_live = 0 then 'removed_with_parent'
            else 'live'
        end as row_disposition,
        case
            when opportunities.opportunity_id is null then 'unknown opportunity'
        end as quarantine_reason

    from children
    left join opportunities
        on children.opportunity_id = opportunities.opportunity_id

)

select * from final
