{#-
    At the end of a build or run: one warning naming the raw CRM tables that do not exist
    (read as empty by select_source_columns) and the metric marts downstream of them, split
    into those left empty and those built without the missing rows (the data-quality marts
    read every table and are left out). An org that does not use quotas, costs or stage
    history builds; this says what it gets for that. The optional tables leave no mart
    empty: the warning says what their absence means instead.
-#}
{% macro warn_missing_crm_tables() -%}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set optional_tables = {
        'opportunity_field_history': 'without opportunity_field_history every deal counts for its current owner',
        'dated_conversion_rate': 'without dated_conversion_rate only amounts in '
            ~ checked_var('corporate_currency') ~ ' (or in no named currency) can be converted',
    } -%}
    {%- set missing = [] -%}
    {%- set missing_ids = [] -%}
    {%- set missing_optional = [] -%}
    {%- for source_node in graph.sources.values() if source_node.source_name == 'crm' -%}
        {%- set relation = adapter.get_relation(source_node.database, source_node.schema, source_node.identifier) -%}
        {%- if relation is none -%}
            {%- do missing.append(source_node.name if source_node.identifier == source_node.name
                else source_node.name ~ ' (looked for as ' ~ source_node.identifier ~ ')') -%}
            {%- if source_node.name in optional_tables -%}
                {%- do missing_optional.append(optional_tables[source_node.name]) -%}
            {%- else -%}
                {%- do missing_ids.append(source_node.unique_id) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing | length == 0 -%}
        {{ return('') }}
    {%- endif -%}

    {#- every model downstream of a missing table: walk the graph from the sources -#}
    {%- set downstream = missing_ids[:] -%}
    {%- set grew = [true] -%}
    {%- for _ in range(graph.nodes | length) if grew[-1] -%}
        {%- do grew.append(false) -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.unique_id not in downstream -%}
            {%- for parent in node.depends_on.nodes if parent in downstream and node.unique_id not in downstream -%}
                {%- do downstream.append(node.unique_id) -%}
                {%- do grew.append(true) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- set empty = [] -%}
    {%- set partial = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name')
        if node.unique_id in downstream and node.fqn[1] == 'marts' and node.fqn[2] != 'data_quality' -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if relation is not none -%}
            {%- set rows = run_query('select count(*) from ' ~ relation).columns[0].values()[0] -%}
            {%- do (empty if rows == 0 else partial).append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set message -%}
Raw CRM tables not found in {{ checked_var('raw_schema') }}, read as empty: {{ missing | sort | join(', ') }}.
  Empty marts downstream of them: {{ empty | join(', ') if empty else 'none' }}.
  Other marts built without their rows: {{ partial | join(', ') if partial else 'none' }}.
{%- for consequence in missing_optional | sort %}
  {{ consequence[0] | upper }}{{ consequence[1:] }}.
{%- endfor %}
    {%- endset -%}
    {%- do exceptions.warn(message) -%}
    {{ return('') }}
{%- endmacro %}
