{#-
    `select <every column the source declares> from <source>`, whatever tool landed the
    table, followed by the same load columns on every table:

    - _loaded_at: when the row was loaded. The column named by var('raw_loaded_at_column'),
      or else the first one present of this project's loader (_loaded_at), Fivetran
      (_fivetran_synced), Airbyte (_airbyte_extracted_at) and dlt (_dlt_load_id); null
      without any.
    - _source_row: the row's number. The loader's own where it wrote one; otherwise the
      row's rank in the order of _row_hash, a hash of its declared values (null where the
      loader numbered the rows), so the same rows get the same numbers on every build and
      adapter: rows with the same hash are identical in every column the project reads, so
      which of them gets which number changes nothing.
    - _loader_deleted: Fivetran's _fivetran_deleted (a record deleted in the CRM).
    - _version_started_at_utc, _is_current_version: for a table in Fivetran's history
      mode (_fivetran_start present), when the row's version began and whether it is the
      record's current one (_fivetran_active, else an open _fivetran_end); null otherwise.

    A declared column the table lacks is a typed null (the contract lets loaders leave
    optional columns out); a column landed under its Salesforce API name (StageName,
    Product2Id, Unit_Cost__c) is found by its match key. A table that does not exist reads
    as no rows with every column. A unit test's source fixture gives the declared columns
    and the loader's two; custom fields and the other load columns are null there.
-#}
{% macro select_source_columns(source_name, table_name, extra_columns=[]) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set declared = [] -%}
    {%- if execute -%}
        {%- set node = graph.get('sources', {}).get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
        {%- if node -%}
            {%- for column in node.columns -%}
                {%- do declared.append(column | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- for column in extra_columns if column | lower not in declared -%}
        {%- do declared.append(column | lower) -%}
    {%- endfor -%}

    {%- if model.resource_type == 'unit_test' %}
    {#- the fixture gives the declared columns and the loader's two; the rest are null #}
    select
        *,
        {%- for column in extra_columns %}
        cast(null as {{ dbt.type_string() }}) as {{ adapter.quote(column | lower) }},
        {%- endfor %}
        cast(null as {{ dbt.type_boolean() }}) as _loader_deleted,
        cast(null as {{ dbt.type_timestamp() }}) as _version_started_at_utc,
        cast(null as {{ dbt.type_boolean() }}) as _is_current_version,
        cast(null as {{ dbt.type_string() }}) as _row_hash
    from {{ relation }}
    {%- elif declared | length == 0 %}
    {#- parse time: nothing is run, only dependencies are recorded #}
    select * from {{ relation }}
    {%- else -%}
        {%- set present = source_table_columns(relation) -%}
        {%- set selected = [] -%}
        {%- for column in declared -%}
            {%- set found = present_column(present, column) if present is not none else none -%}
            {%- if found is not none -%}
                {%- do selected.append(adapter.quote(found) ~ ' as ' ~ adapter.quote(column)) -%}
            {%- else -%}
                {%- do selected.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote(column)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do selected.extend(load_columns(present or {})) -%}
        {%- if present is none %}
    {#- the table does not exist: no rows, every column (see warn_missing_crm_tables) #}
    select
        {{ selected | join(',\n        ') }},
        cast(null as {{ dbt.type_bigint() }}) as _source_row,
        cast(null as {{ dbt.type_string() }}) as _row_hash
    where 1 = 0
        {%- elif '_source_row' in present %}
    select
        {{ selected | join(',\n        ') }},
        cast({{ adapter.quote(present['_source_row']) }} as {{ dbt.type_bigint() }}) as _source_row,
        cast(null as {{ dbt.type_string() }}) as _row_hash
    from {{ relation }}
        {%- else %}
    {#- no loader numbered the rows: number them in the order of a hash of their values #}
    select
        *,
        row_number() over (order by _row_hash) as _source_row
    from (
        select
            {{ selected | join(',\n            ') }},
            {{ row_hash(present, declared) }} as _row_hash
        from {{ relation }}
    ) as landed_rows
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The columns of a relation as {lower-case name: name as stored}; none when it does not exist. -#}
{% macro source_table_columns(relation) -%}
    {%- set columns = stored_columns(relation) -%}
    {%- if columns is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set present = {} -%}
    {%- for column in columns -%}
        {%- do present.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
    {{ return(present) }}
{%- endmacro %}


{#- The columns of a raw table as the warehouse stores them (dbt's Column objects); none when
    it does not exist. Asked of the warehouse, not of dbt's relation cache: a thread that
    misses the cache lists the schema and adds its tables to the cache one by one, and a
    thread reading the cache meanwhile finds the schema there half listed. A raw table taken
    for missing would be read as empty. -#}
{% macro stored_columns(relation) -%}
    {#- nothing is read while dbt parses the project -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.dispatch('stored_columns', 'salesperf')(relation)) }}
{%- endmacro %}

{% macro default__stored_columns(relation) -%}
    {%- if load_relation(relation) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(relation)) }}
{%- endmacro %}

{#- PostgreSQL reads the columns from information_schema: none for a missing table. -#}
{% macro postgres__stored_columns(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {{ return(columns if columns else none) }}
{%- endmacro %}

{#- dbt-duckdb reads the columns with DESCRIBE, which fails on a missing table. -#}
{% macro duckdb__stored_columns(relation) -%}
    {%- set found = run_query(
        'select count(*) from information_schema.tables where table_catalog = ' ~ text_literal(relation.database)
        ~ ' and lower(table_schema) = lower(' ~ text_literal(relation.schema) ~ ')'
        ~ ' and lower(table_name) = lower(' ~ text_literal(relation.identifier) ~ ')'
    ).columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(relation)) }}
{%- endmacro %}


{#- The stored name of a contract column in a table: the same name, or else the one column
    whose letters and digits spell it (StageName, Product2Id and Unit_Cost__c for
    stage_name, product_2_id and unit_cost_c); none when there is none. -#}
{% macro present_column(present, column) -%}
    {%- if column in present -%}
        {{ return(present[column]) }}
    {%- endif -%}
    {%- set key = modules.re.sub('[^0-9a-z]', '', column) -%}
    {%- set matches = [] -%}
    {%- for name, stored in present.items() if modules.re.sub('[^0-9a-z]', '', name) == key -%}
        {%- do matches.append(stored) -%}
    {%- endfor -%}
    {{ return(matches[0] if matches | length == 1 else none) }}
{%- endmacro %}


{#- The column that says when a row was loaded, among those present; none without one. -#}
{% macro loaded_at_column(present) -%}
    {%- set chosen = checked_var('raw_loaded_at_column') -%}
    {%- set candidates = [chosen] if chosen else ['_loaded_at', '_fivetran_synced', '_airbyte_extracted_at', '_dlt_load_id'] -%}
    {%- for column in candidates if (column | lower) in present -%}
        {{ return(present[column | lower]) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{#- That column as a UTC timestamp: this project's loader writes a real timestamp (cast, not
    parsed, on millions of rows); dlt's load id is the load's start in epoch seconds. -#}
{% macro loaded_at_expression(column) -%}
    {%- if column is none -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- elif column | lower == '_loaded_at' -%}
        cast({{ adapter.quote(column) }} as {{ dbt.type_timestamp() }})
    {%- elif column | lower == '_dlt_load_id' -%}
        {{ dbt.dateadd(
            'second',
            'cast(floor(cast(' ~ clean_text(adapter.quote(column)) ~ ' as ' ~ dbt.type_float() ~ ')) as ' ~ dbt.type_bigint() ~ ')',
            "cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")",
        ) }}
    {%- else -%}
        {{ parse_timestamp(adapter.quote(column)) }}
    {%- endif -%}
{%- endmacro %}


{#- The load columns select_source_columns adds (all but the row number), as select-list
    entries. -#}
{% macro load_columns(present) -%}
    {%- set columns = [loaded_at_expression(loaded_at_column(present)) ~ ' as _loaded_at'] -%}

    {%- if '_fivetran_deleted' in present -%}
        {%- do columns.append(parse_boolean(adapter.quote(present['_fivetran_deleted'])) ~ ' as _loader_deleted') -%}
    {%- else -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_boolean() ~ ') as _loader_deleted') -%}
    {%- endif -%}

    {%- if '_fivetran_start' in present -%}
        {%- do columns.append(parse_timestamp(adapter.quote(present['_fivetran_start'])) ~ ' as _version_started_at_utc') -%}
        {%- if '_fivetran_active' in present -%}
            {%- do columns.append(parse_boolean(adapter.quote(present['_fivetran_active'])) ~ ' as _is_current_version') -%}
        {%- elif '_fivetran_end' in present -%}
            {%- do columns.append('coalesce(' ~ parse_timestamp(adapter.quote(present['_fivetran_end']))
                ~ " >= cast('9999-01-01' as " ~ dbt.type_timestamp() ~ "), true) as _is_current_version") -%}
        {%- else -%}
            {%- do columns.append('cast(null as ' ~ dbt.type_boolean() ~ ') as _is_current_version') -%}
        {%- endif -%}
    {%- else -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_timestamp() ~ ') as _version_started_at_utc') -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_boolean() ~ ') as _is_current_version') -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}


{#- A hash of a row's declared values as text (a null distinct from every string), the same
    on every adapter for the same text. -#}
{% macro row_hash(present, declared) -%}
    {%- set values = [] -%}
    {%- for column in declared -%}
        {%- if not loop.first -%}{%- do values.append("'|'") -%}{%- endif -%}
        {%- set found = present_column(present, column) -%}
        {%- if found is not none -%}
            {%- do values.append("coalesce(cast(" ~ adapter.quote(found) ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
        {%- else -%}
            {%- do values.append("'~'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(values)) }}
{%- endmacro %}
