-- Reports (as a warning) every record whose newest version ties with a different one on
-- everything that orders versions (current version, version start, last change, load
-- time) in a table no loader numbered the rows of: the order of the rows' values then
-- decides, the same on every build, but the CRM's data cannot say which came last.
{{ config(severity='warn') }}
{#- which tables it reads is known only when it runs: every one it may read is named here #}
{%- for table in crm_staged_tables() %}
-- depends_on: {{ ref(table.model) }}
{%- endfor %}
{%- set undecidable = [] %}
{%- for table in crm_staged_tables() %}
{%- set present = source_table_columns(source('crm', table.source_table)) if execute else none %}
{%- if present is not none and '_source_row' not in present %}
{%- do undecidable.append(table) %}
{%- endif %}
{%- endfor %}

{%- if undecidable | length == 0 %}

select
    cast(null as {{ dbt.type_string() }}) as source_table,
    cast(null as {{ dbt.type_string() }}) as record_id,
    0 as tied_versions
where 1 = 0

{%- else %}

with

{%- for table in undecidable %}

{{ table.source_table }}_versions as (

    select
        {{ table.id_column }} as record_id,
        version_rank,
        _row_hash,
        _is_current_version,
        _version_started_at_utc,
        last_modified_at_utc,
        _loaded_at
    from {{ ref(table.model) }}
    where {{ table.id_column }} is not null

),

{{ table.source_table }}_ties as (

    select
        '{{ table.source_table }}' as source_table,
        newest.record_id,
        count(distinct versions._row_hash) as tied_versions
    from {{ table.source_table }}_versions as newest
    inner join {{ table.source_table }}_versions as versions
        on
            newest.record_id = versions.record_id
            {%- for column in ['_is_current_version', '_version_started_at_utc', 'last_modified_at_utc', '_loaded_at'] %}
            and (
                newest.{{ column }} = versions.{{ column }}
                or (newest.{{ column }} is null and versions.{{ column }} is null)
            )
            {%- endfor %}
    where newest.version_rank = 1
    group by 1, 2
    having count(distinct versions._row_hash) > 1

),

{%- endfor %}

final as (

    {%- for table in undecidable %}
    select * from {{ table.source_table }}_ties
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final

{%- endif %}
