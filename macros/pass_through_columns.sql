{#-
    The extra columns of a raw CRM table that var('<table>_pass_through_columns') carries,
    as text, into the mart that describes its records (opportunity: fct_opportunities,
    account: dim_accounts): a list of {name, alias}, where an entry of the var is a column
    name or {name: ..., alias: ...}. A name that clashes with a column the mart already
    has stops the build with the reason, instead of a duplicate column.
-#}
{% macro pass_through_columns(table_name) -%}
    {%- set marts = {'opportunity': 'fct_opportunities', 'account': 'dim_accounts'} -%}
    {%- set columns = [] -%}
    {%- for entry in checked_var(table_name ~ '_pass_through_columns') -%}
        {%- if entry is mapping -%}
            {%- set name = entry.get('name') | lower -%}
            {%- set alias = (entry.get('alias') or entry.get('name')) | lower -%}
        {%- else -%}
            {%- set name = entry | lower -%}
            {%- set alias = entry | lower -%}
        {%- endif -%}
        {%- do columns.append({'name': name, 'alias': alias}) -%}
    {%- endfor -%}
    {%- if execute and columns | length > 0 and model.resource_type != 'unit_test' -%}
        {%- set mart = graph.nodes.get('model.' ~ project_name ~ '.' ~ marts[table_name]) -%}
        {%- set taken = (mart.columns.keys() | map('lower') | list) if mart else [] -%}
        {%- for column in columns if column.alias in taken -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ "_pass_through_columns: '" ~ column.alias ~ "' is already a column of "
                ~ marts[table_name] ~ "; give it another name with {name: " ~ column.name ~ ", alias: ...}"
            ) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}
