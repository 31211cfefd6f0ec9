{#-
    Each activity linked to the records it is about. A join decides: what_id or who_id is
    an opportunity's, a lead's or an account's id when it matches that live record, in
    whichever of the two columns it sits (Salesforce puts deals and accounts in what_id
    and leads and contacts in who_id; other CRMs and exports do not always). A reference
    that matches nothing (a contact, a deleted deal) is named by its Salesforce prefix.
    fct_activities is this table with the build's columns. On a daily run, only the
    activities that can read differently since the last build
    (macros/activities_to_recompute.sql).
-#}
{%- set incremental_inputs = [
    'base_crm__tasks', 'base_crm__events', 'base_crm__users',
    'base_crm__opportunities', 'base_crm__leads', 'base_crm__accounts',
] %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}
{{ depends_on_incremental_inputs(incremental_inputs) }}

with

{%- if plan.by_key %}

activities_loaded_since as (

    {{ activity_ids_loaded_since(plan) }}

),

links_changed_since as (

    {{ activity_links_changed_since(plan) }}

),
{%- endif %}

activities as (

    select * from {{ ref('int_activities_typed') }}
    {%- if plan.by_key %}
    -- a daily run: those that can read differently since the last build
    where
        activity_id in (select activities_loaded_since.record_id from activities_loaded_since)
        or {{ activity_dated_since(plan) }}
        or what_id in (select links_changed_since.record_id from links_changed_since)
        or who_id in (select links_changed_since.record_id from links_changed_since)
    {%- endif %}

),

crm_opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

crm_leads as (

    select * from {{ ref('stg_crm__leads') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunities as (

    -- the deals the CRM held at as_of, as in fct_opportunities
    select
        opportunity_id,
        account_id
    from crm_opportunities
    where created_at <= {{ as_of_at() }}

),

leads as (

    -- the leads the CRM held at as_of, as in fct_leads
    select lead_id
    from crm_leads
    where created_at <= {{ as_of_at() }}

),

linked as (

    select
        activities.*,
        coalesce(what_opportunities.opportunity_id, who_opportunities.opportunity_id)
            as linked_opportunity_id,
        coalesce(who_leads.lead_id, what_leads.lead_id) as linked_lead_id,
        coalesce(
            activities.account_id,
            what_accounts.account_id,
            what_opportunities.account_id,
            who_opportunities.account_id
        ) as linked_account_id,
        case
            when what_opportunities.opportunity_id is not null then 'opportunity'
            when what_accounts.account_id is not null then 'account'
            when what_leads.lead_id is not null then 'lead'
            else {{ salesforce_object('activities.what_id') }}
        end as what_object,
        case
            when who_leads.lead_id is not null then 'lead'
            when who_opportunities.opportunity_id is not null then 'opportunity'
            else {{ salesforce_object('activities.who_id') }}
        end as who_object

    from activities
    left join opportunities as what_opportunities
        on activities.what_id = what_opportunities.opportunity_id
    left join opportunities as who_opportunities
        on activities.who_id = who_opportunities.opportunity_id
    left join leads as who_leads
        on activities.who_id = who_leads.lead_id
    left join leads as what_leads
        on activities.what_id = what_leads.lead_id
    left join accounts as what_accounts
        on activities.what_id = what_accounts.account_id

),

final as (

    select
        -- ids
        activity_id,
        rep_id,
        linked_opportunity_id as opportunity_id,
        linked_lead_id as lead_id,
        linked_account_id as account_id,
        who_id,
        what_id,

        -- strings
        source_object,
        activity_type,
        what_object,
        who_object,
        raw_type,
        raw_subtype,
        subject,
        status,
        call_type,
        call_disposition,

        -- numerics
        call_duration_seconds,
        duration_minutes,

        -- booleans
        is_sales_activity,
        is_completed,
        is_outbound,
        is_conversation,
        -- the one definition of an activity that counts in the metrics: a sales activity
        -- (not an admin to-do) that was done (a task not yet completed is a plan)
        is_sales_activity and is_completed as is_counted,

        -- dates
        activity_date,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month,

        -- timestamps
        activity_at,
        created_at

    from linked

)

select * from final
