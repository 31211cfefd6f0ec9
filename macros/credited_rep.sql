{#-
    Credit for a fact about a deal goes to whoever owned the deal at the time of the fact.

    owner_at_join: the left join of int_opportunity_owner_periods, as `alias`, to the one
    period of the deal `opportunity_id` that covers the moment `at` (an owner change at
    exactly that moment has already happened).

    credited_rep_id: that owner, or 'unassigned' when the owner was hired after the fact:
    no history says who held the deal then, and a rep's tenure starts at hire. An owner the
    user table does not know keeps the credit (nothing says when they were hired).
-#}
{% macro owner_at_join(alias, opportunity_id, at) -%}
    left join {{ ref('int_opportunity_owner_periods') }} as {{ alias }}
        on
            {{ alias }}.opportunity_id = {{ opportunity_id }}
            and ({{ alias }}.owned_from is null or {{ alias }}.owned_from <= {{ at }})
            and ({{ alias }}.owned_until is null or {{ at }} < {{ alias }}.owned_until)
{%- endmacro %}

{% macro credited_rep_id(alias, at) -%}
    case
        when {{ alias }}.owner_id is null then null
        when {{ alias }}.owner_hired_at is null or {{ alias }}.owner_hired_at <= {{ at }}
            then {{ alias }}.owner_id
        else {{ unassigned_rep_id() }}
    end
{%- endmacro %}

{#- The member of dim_reps that holds credit no rep can take; never null, so it never
    reads as an all-reps row. -#}
{% macro unassigned_rep_id() -%}
    'unassigned'
{%- endmacro %}
