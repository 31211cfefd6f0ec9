{#-
    The rows of a base model's typed raw rows (the CTE named typed_rows) with version_rank
    beside them: 1 for the newest version of each record (in the order of
    newest_version_first), 2 for the one before, and so on; 1 for a row without an id,
    which is its own (quarantined) record.

    Most records have one row, so only the rows of ids that occur more than once are ranked
    by a window; the others are rank 1 as they stream by. A window over every row sorts
    every column of millions of activities. typed_rows is read four times: declare it
    not_materialized, so that each read streams (and see raw_rows_to_classify for the raw
    rows it reads).
-#}
{% macro versions_ranked(typed_rows, id_column, last_modified_column) -%}
    {%- set ids_with_versions -%}
        select {{ id_column }} as record_id
        from {{ typed_rows }}
        where {{ id_column }} is not null
        group by {{ id_column }}
        having count(*) > 1
    {%- endset -%}

    select
        single_row_records.*,
        1 as version_rank
    from {{ typed_rows }} as single_row_records
    left join ({{ ids_with_versions }}) as ids_with_versions
        on single_row_records.{{ id_column }} = ids_with_versions.record_id
    where ids_with_versions.record_id is null

    union all

    select
        versioned_records.*,
        row_number() over (
            partition by versioned_records.{{ id_column }}
            order by {{ newest_version_first(last_modified_column) }}
        ) as version_rank
    from {{ typed_rows }} as versioned_records
    inner join ({{ ids_with_versions }}) as ids_with_versions
        on versioned_records.{{ id_column }} = ids_with_versions.record_id
{%- endmacro %}
