{#-
    The object a Salesforce id names by its key prefix (its first three characters):
    opportunity, account, lead, contact or user; 'other' for any other id, null for null.
    Used only to describe a reference that no loaded record matches.
-#}
{% macro salesforce_object(id_expression) -%}
    case substring({{ id_expression }}, 1, 3)
        when '006' then 'opportunity'
        when '001' then 'account'
        when '00Q' then 'lead'
        when '003' then 'contact'
        when '005' then 'user'
        else case when {{ id_expression }} is not null then 'other' end
    end
{%- endmacro %}
