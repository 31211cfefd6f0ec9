{#-
    What staging does with a raw row, in the contract's order: a row without an id or with
    a row-level problem is quarantined; of the versions of one record only the newest is
    kept (the rest are duplicates); a kept version marked deleted is soft-deleted; what is
    left is live. Expects version_rank, is_deleted and quarantine_reason beside it.
    identity_reasons are the reasons that leave a row without its record's id (a table
    keyed on more than one column has more than 'missing id'): such rows share a null id,
    so their ranks among versions mean nothing and they are quarantined before it.
-#}
{% macro row_disposition(identity_reasons=['missing id']) -%}
    case
        when quarantine_reason in ('{{ identity_reasons | join("', '") }}') then 'quarantined'
        when version_rank > 1 then 'duplicate'
        when is_deleted then 'soft_deleted'
        when quarantine_reason is not null then 'quarantined'
        else 'live'
    end
{%- endmacro %}
