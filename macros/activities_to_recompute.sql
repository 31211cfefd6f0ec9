{#-
    Which activities a daily run of int_activities_linked recomputes (see incremental.sql):
    those that can read differently since the model's last build. They read the base
    models, whose rows carry _loaded_at: a few more ids than the live ones cost nothing,
    and a deleted record's must be there.
-#}

{#- The tasks and events with a row loaded since (new, changed, deleted or quarantined), and
    every activity of a user loaded since (the owner's hire date decides 'unassigned'):
    also the keys that may have lost their row. -#}
{% macro activity_ids_loaded_since(plan) -%}
    {{ ids_loaded_since('base_crm__tasks', 'task_id', plan) }}
    union all
    {{ ids_loaded_since('base_crm__events', 'event_id', plan) }}
    union all
    select activity_id from (
        select task_id as activity_id, rep_id from {{ ref('base_crm__tasks') }}
        union all
        select event_id as activity_id, rep_id from {{ ref('base_crm__events') }}
    ) as activities
    where rep_id in ({{ ids_loaded_since('base_crm__users', 'user_id', plan) }})
{%- endmacro %}


{#- An activity created, started or dated after the last build's as_of: it may have been
    recorded, done or come due since (as_of only moves forward on a daily run). Reads the
    columns of the typed activities in int_activities_linked. -#}
{% macro activity_dated_since(plan) -%}
    (
        created_at > {{ as_of_at(plan.previous_as_of) }}
        or activity_at > {{ as_of_at(plan.previous_as_of) }}
        or activity_date > {{ as_of_date(plan.previous_as_of) }}
    )
{%- endmacro %}


{#- The deals, leads and accounts an activity may link to differently since: loaded since,
    or deals and leads created after the last build's as_of. -#}
{% macro activity_links_changed_since(plan) -%}
    {{ ids_loaded_since('base_crm__opportunities', 'opportunity_id', plan) }}
    union all
    {{ ids_loaded_since('base_crm__leads', 'lead_id', plan) }}
    union all
    {{ ids_loaded_since('base_crm__accounts', 'account_id', plan) }}
    union all
    select opportunity_id from {{ ref('base_crm__opportunities') }}
    where created_at > {{ as_of_at(plan.previous_as_of) }}
    union all
    select lead_id from {{ ref('base_crm__leads') }}
    where created_at > {{ as_of_at(plan.previous_as_of) }}
{%- endmacro %}
