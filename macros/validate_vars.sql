{#-
    Checks every var of the project (see checked_var) at the start of a run, so that a bad
    value stops the run before anything is built, naming the var and the value, even a var
    that only a test or a late model reads. Renders no SQL.
-#}
{% macro validate_vars() -%}
    {%- for name in project_var_names() -%}
        {%- do checked_var(name) -%}
    {%- endfor -%}
{%- endmacro %}

{#- Every var of the project. -#}
{% macro project_var_names() -%}
    {{ return([
        'raw_database', 'raw_schema', 'raw_table_names', 'raw_loaded_at_column',
        'opportunity_pass_through_columns', 'account_pass_through_columns',
        'as_of', 'corporate_currency', 'reporting_timezone', 'quarantine_threshold',
        'stage_catalogue', 'stale_multiplier', 'forecast_uplift', 'fiscal_year_start_month',
        'calendar_start_date', 'calendar_end_date', 'completed_task_statuses',
        'required_activity_trailing_months', 'build_id', 'build_schema_suffix', 'incremental_runs',
    ]) }}
{%- endmacro %}
