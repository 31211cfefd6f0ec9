{#-
    Tasks and events as one list of activities recorded by as_of, each typed by the
    activity type map and flagged (completed, outbound call, conversation), and linked to
    the records it is about. An activity is its own owner's, from the owner's hire on; one
    dated before it is 'unassigned'. A join decides the links: what_id or who_id is an
    opportunity's, a lead's or an account's id when it matches that live record, in
    whichever of the two columns it sits (Salesforce puts deals and accounts in what_id and
    leads and contacts in who_id; other CRMs and exports do not always). A reference that
    matches nothing (a contact, a deleted deal) is named by its Salesforce prefix.
    fct_activities is this table with the build's columns. Typing and linking are one model
    so that the millions of activities are written once a build, not twice. On a daily run,
    only the activities that can read differently since the last build
    (macros/activities_to_recompute.sql).
-#}
{%- set incremental_inputs = [
    'base_crm__tasks', 'base_crm__events', 'base_crm__users',
    'base_crm__opportunities', 'base_crm__leads', 'base_crm__accounts',
] %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}
{{ depends_on_incremental_inputs(incremental_inputs) }}
{%- set completed_statuses = [] -%}
{%- for status in checked_var('completed_task_statuses') -%}
{%- do completed_statuses.append(text_literal(status | lower | replace(' ', ''))) -%}
{%- endfor %}

with

tasks as (

    select * from {{ ref('stg_crm__tasks') }}

),

events as (

    select * from {{ ref('stg_crm__events') }}

),

activity_types as (

    select * from {{ ref('stg_config__activity_types') }}

),

call_dispositions as (

    select * from {{ ref('stg_config__call_dispositions') }}

),

owners as (

    select * from {{ ref('stg_crm__users') }}

),

activities as (

    -- a task's moment is when it was logged (its activity date has no time of day); an
    -- event's is its start
    select
        task_id as activity_id,
        'task' as source_object,
        rep_id,
        who_id,
        what_id,
        account_id,
        subject,
        task_type as raw_type,
        task_subtype as raw_subtype,
        status,
        call_type,
        call_disposition,
        call_duration_seconds,
        cast(null as {{ dbt.type_bigint() }}) as duration_minutes,
        coalesce(activity_date, cast(created_at as date)) as activity_date,
        coalesce(created_at, cast(activity_date as {{ dbt.type_timestamp() }})) as activity_at,
        created_at
    from tasks

    union all

    select
        event_id as activity_id,
        'event' as source_object,
        rep_id,
        who_id,
        what_id,
        account_id,
        subject,
        event_type as raw_type,
        cast(null as {{ dbt.type_string() }}) as raw_subtype,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as call_type,
        cast(null as {{ dbt.type_string() }}) as call_disposition,
        cast(null as {{ dbt.type_bigint() }}) as call_duration_seconds,
        duration_minutes,
        cast(coalesce(started_at, created_at) as date) as activity_date,
        coalesce(started_at, created_at) as activity_at,
        created_at
    from events

),

{%- if plan.by_key %}

activities_loaded_since as (

    {{ activity_ids_loaded_since(plan) }}

),

links_changed_since as (

    {{ activity_links_changed_since(plan) }}

),
{%- endif %}

held_at_as_of as (

    -- the activities the CRM held at as_of
    select *
    from activities
    where coalesce(created_at, activity_at) <= {{ as_of_at() }}

),

recorded as (

    select * from held_at_as_of
    {%- if plan.by_key %}
    -- a daily run: only those that can read differently since the last build
    where
        activity_id in (select activities_loaded_since.record_id from activities_loaded_since)
        or {{ activity_dated_since(plan) }}
        or what_id in (select links_changed_since.record_id from links_changed_since)
        or who_id in (select links_changed_since.record_id from links_changed_since)
    {%- endif %}

),

activity_kinds as (

    -- every distinct combination of the values the maps read: a few hundred kinds where
    -- there are millions of activities, so the matching, its ranking and the match keys'
    -- regular expressions run once per kind instead of once per activity. Read from the
    -- live activities, not from the recorded ones: a CTE read twice is materialized whole
    -- (DuckDB), and a kind that no recorded activity has is never joined. The union keeps
    -- each combination once.
    select
        'task' as source_object,
        task_type as raw_type,
        task_subtype as raw_subtype,
        status,
        call_type,
        call_disposition
    from {{ ref('stg_crm__tasks') }}

    union

    select
        'event' as source_object,
        event_type as raw_type,
        cast(null as {{ dbt.type_string() }}) as raw_subtype,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as call_type,
        cast(null as {{ dbt.type_string() }}) as call_disposition
    from {{ ref('stg_crm__events') }}

),

kind_type_matches as (

    -- a kind no row of the map fits keeps one row with no type
    select
        activity_kinds.*,
        activity_types.activity_type,
        activity_types.is_sales_activity,
        row_number() over (
            partition by
                activity_kinds.source_object,
                activity_kinds.raw_type,
                activity_kinds.raw_subtype,
                activity_kinds.status,
                activity_kinds.call_type,
                activity_kinds.call_disposition
            order by activity_types.match_priority desc
        ) as match_rank
    from activity_kinds
    left join activity_types
        on
            activity_kinds.source_object = activity_types.source_object
            and (
                activity_types.raw_type_key is null
                or activity_types.raw_type_key = {{ match_key('activity_kinds.raw_type') }}
            )
            and (
                activity_types.raw_subtype_key is null
                or activity_types.raw_subtype_key = {{ match_key('activity_kinds.raw_subtype') }}
            )

),

kinds_typed as (

    select
        kind_type_matches.source_object,
        kind_type_matches.raw_type,
        kind_type_matches.raw_subtype,
        kind_type_matches.status,
        kind_type_matches.call_type,
        kind_type_matches.call_disposition,
        -- a type the map does not know, with no fallback row, is other and not selling
        coalesce(kind_type_matches.activity_type, 'other') as activity_type,
        coalesce(kind_type_matches.is_sales_activity, false) as is_sales_activity,
        -- a task without a status is taken as done
        kind_type_matches.status is null
        {%- if completed_statuses %}
        or {{ match_key('kind_type_matches.status') }} in ({{ completed_statuses | join(', ') }})
        {%- endif %} as has_completed_status,
        -- the direction and outcome of a call are what the CRM says; a call without them
        -- is neither outbound nor a conversation
        coalesce(kind_type_matches.activity_type, 'other') = 'call'
        and coalesce(
            {{ match_key('kind_type_matches.call_type') }} = 'outbound', false
        ) as is_outbound,
        coalesce(kind_type_matches.activity_type, 'other') = 'call'
        and coalesce(call_dispositions.is_conversation, false) as is_conversation
    from kind_type_matches
    left join call_dispositions
        on
            {{ match_key('kind_type_matches.call_disposition') }}
            = call_dispositions.call_disposition_key
    where kind_type_matches.match_rank = 1

),

typed as (

    select
        -- ids
        recorded.activity_id,
        case
            when recorded.activity_date < cast(owners.created_at as date)
                then {{ unassigned_rep_id() }}
            else recorded.rep_id
        end as rep_id,
        recorded.who_id,
        recorded.what_id,
        recorded.account_id,

        -- strings
        recorded.source_object,
        kinds_typed.activity_type,
        recorded.raw_type,
        recorded.raw_subtype,
        recorded.subject,
        recorded.status,
        recorded.call_type,
        recorded.call_disposition,

        -- numerics
        recorded.call_duration_seconds,
        recorded.duration_minutes,

        -- booleans
        kinds_typed.is_sales_activity,
        -- a task is done when its status says so and its day has come; an event when it
        -- has started
        case
            when recorded.source_object = 'event' then recorded.activity_at <= {{ as_of_at() }}
            when recorded.activity_date > {{ as_of_date() }} then false
            else kinds_typed.has_completed_status
        end as is_completed,
        kinds_typed.is_outbound,
        kinds_typed.is_conversation,

        -- dates
        recorded.activity_date,

        -- timestamps
        recorded.activity_at,
        recorded.created_at

    from recorded
    -- staging turns blank text into null, so '' stands for a missing value without
    -- meeting a real one, and the join stays a plain equi-join
    inner join kinds_typed
        on
            recorded.source_object = kinds_typed.source_object
            and coalesce(recorded.raw_type, '') = coalesce(kinds_typed.raw_type, '')
            and coalesce(recorded.raw_subtype, '') = coalesce(kinds_typed.raw_subtype, '')
            and coalesce(recorded.status, '') = coalesce(kinds_typed.status, '')
            and coalesce(recorded.call_type, '') = coalesce(kinds_typed.call_type, '')
            and coalesce(recorded.call_disposition, '')
            = coalesce(kinds_typed.call_disposition, '')
    left join owners
        on recorded.rep_id = owners.user_id

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
        typed.*,
        coalesce(what_opportunities.opportunity_id, who_opportunities.opportunity_id)
            as linked_opportunity_id,
        coalesce(who_leads.lead_id, what_leads.lead_id) as linked_lead_id,
        coalesce(
            typed.account_id,
            what_accounts.account_id,
            what_opportunities.account_id,
            who_opportunities.account_id
        ) as linked_account_id,
        case
            when what_opportunities.opportunity_id is not null then 'opportunity'
            when what_accounts.account_id is not null then 'account'
            when what_leads.lead_id is not null then 'lead'
            else {{ salesforce_object('typed.what_id') }}
        end as what_object,
        case
            when who_leads.lead_id is not null then 'lead'
            when who_opportunities.opportunity_id is not null then 'opportunity'
            else {{ salesforce_object('typed.who_id') }}
        end as who_object

    from typed
    left join opportunities as what_opportunities
        on typed.what_id = what_opportunities.opportunity_id
    left join opportunities as who_opportunities
        on typed.who_id = who_opportunities.opportunity_id
    left join leads as who_leads
        on typed.who_id = who_leads.lead_id
    left join leads as what_leads
        on typed.what_id = what_leads.lead_id
    left join accounts as what_accounts
        on typed.what_id = what_accounts.account_id

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
