{#-
    Tasks and events as one list of activities recorded by as_of, each typed by the
    activity type map and flagged: completed, outbound call, conversation. An activity is
    its own owner's, from the owner's hire on; one dated before it is 'unassigned'.
-#}
{%- set completed_statuses = [] -%}
{%- for status in checked_var('completed_task_statuses') -%}
{%- do completed_statuses.append(text_literal(status | lower | replace(' ', ''))) -%}
{%- endfor -%}

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

recorded as (

    -- the activities the CRM held at as_of
    select *
    from activities
    where coalesce(created_at, activity_at) <= {{ as_of_at() }}

),

type_matches as (

    select
        recorded.source_object,
        recorded.activity_id,
        activity_types.activity_type,
        activity_types.is_sales_activity,
        row_number() over (
            partition by recorded.source_object, recorded.activity_id
            order by activity_types.match_priority desc
        ) as match_rank
    from recorded
    inner join activity_types
        on
            recorded.source_object = activity_types.source_object
            and (
                activity_types.raw_type_key is null
                or activity_types.raw_type_key = {{ match_key('recorded.raw_type') }}
            )
            and (
                activity_types.raw_subtype_key is null
                or activity_types.raw_subtype_key = {{ match_key('recorded.raw_subtype') }}
            )

),

final as (

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
        -- a type the map does not know, with no fallback row, is other and not selling
        coalesce(type_matches.activity_type, 'other') as activity_type,
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
        coalesce(type_matches.is_sales_activity, false) as is_sales_activity,
        -- a task is done when its status says so (a task without a status is taken as
        -- done) and its day has come; an event when it has started
        case
            when recorded.source_object = 'event' then recorded.activity_at <= {{ as_of_at() }}
            when recorded.activity_date > {{ as_of_date() }} then false
            else
                recorded.status is null
                {%- if completed_statuses %}
                or {{ match_key('recorded.status') }} in ({{ completed_statuses | join(', ') }})
                {%- endif %}
        end as is_completed,
        -- the direction and outcome of a call are what the CRM says; a call without them
        -- is neither outbound nor a conversation
        coalesce(type_matches.activity_type, 'other') = 'call'
        and coalesce({{ match_key('recorded.call_type') }} = 'outbound', false) as is_outbound,
        coalesce(type_matches.activity_type, 'other') = 'call'
        and coalesce(call_dispositions.is_conversation, false) as is_conversation,

        -- dates
        recorded.activity_date,

        -- timestamps
        recorded.activity_at,
        recorded.created_at

    from recorded
    left join type_matches
        on
            recorded.source_object = type_matches.source_object
            and recorded.activity_id = type_matches.activity_id
            and type_matches.match_rank = 1
    left join call_dispositions
        on {{ match_key('recorded.call_disposition') }} = call_dispositions.call_disposition_key
    left join owners
        on recorded.rep_id = owners.user_id

)

select * from final
