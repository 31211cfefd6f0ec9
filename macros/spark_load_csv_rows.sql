{#-
    dbt-spark's seed loader (1.11), with one change: the values are written into the insert
    statement as Spark literals, text escaped (backslash, then quote), instead of passed as
    bindings. The session method puts a binding into the statement as written, between
    single quotes, and a seed value with a quote ("New Year's Day" in holidays) broke the
    statement; literals read the same through every connection method.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}

  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}

  {% set statements = [] %}

  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                  {%- set value = row[loop.index0] -%}
                  {%- if value is none -%}
                    {%- set literal = 'null' -%}
                  {%- elif value is sameas true or value is sameas false -%}
                    {%- set literal = value | string | lower -%}
                  {%- elif value is number -%}
                    {%- set literal = value | string -%}
                  {%- else -%}
                    {%- set literal = "'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -%}
                  {%- endif -%}
                    cast({{ literal }} as {{type}})
                  {%- if not loop.last%},{%- endif %}
              {%- endfor -%})
              {%- if not loop.last%},{%- endif %}
          {%- endfor %}
      {% endset %}

      {% do adapter.add_query(sql, abridge_sql_log=True) %}

      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}

  {# the SQL of the first batch, rendered into the compiled files as dbt-spark does #}
  {{ return(statements[0]) }}
{% endmacro %}
