{#-
    The value of one of the project's vars, checked against its rule: the rules of every
    var are here and nowhere else. A value that breaks its rule stops the run with a message
    naming the var, what it must be and the value it got, instead of a silent default (a
    threshold of 'abc' read as 0) or an error deep in some model's SQL. validate_vars reads
    every var through this at the start of a run; models and macros read vars only through
    it. The value returned is normalized (a timestamp as 'YYYY-MM-DD HH:MM:SS', a currency
    in upper case, numeric text as a number), and text reaches SQL only through
    text_literal, so no var is ever spliced into a statement as written.
-#}
{% macro checked_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- set blank = value is none or (value is string and value | trim == '') -%}
    {%- set name_pattern = '^[A-Za-z_][A-Za-z0-9_]*$' -%}
    {#- database and schema names as connectors and DuckDB files name them (a file
        my-crm.duckdb is the database my-crm) -#}
    {%- set relation_pattern = '^[A-Za-z0-9_][A-Za-z0-9_$.-]*$' -%}

    {%- if name == 'as_of' -%}
        {%- if blank -%}{{ return(none) }}{%- endif -%}
        {%- set parsed = var_timestamp(value) -%}
        {%- if parsed is none -%}
            {{ var_rule_error(name, value, "a UTC timestamp 'YYYY-MM-DD HH:MM:SS' or a date 'YYYY-MM-DD'") }}
        {%- endif -%}
        {{ return(parsed) }}

    {%- elif name == 'incremental_runs' -%}
        {%- if value in [false, 'false', 'False'] -%}{{ return(false) }}{%- endif -%}
        {%- if not blank and value not in [true, 'true', 'True'] -%}
            {{ var_rule_error(name, value, "true or false") }}
        {%- endif -%}
        {{ return(true) }}

    {%- elif name == 'reporting_timezone' -%}
        {%- if blank -%}{{ return('UTC') }}{%- endif -%}
        {%- if value is not string or (value | upper != 'UTC' and value not in modules.pytz.all_timezones_set) -%}
            {{ var_rule_error(name, value, "a time zone name such as 'UTC' or 'America/New_York'") }}
        {%- endif -%}
        {{ return('UTC' if value | upper == 'UTC' else value) }}

    {%- elif name == 'quarantine_threshold' -%}
        {%- set number = var_number(value) -%}
        {%- if number is none or number < 0 or number > 1 -%}
            {{ var_rule_error(name, value, "a number between 0 and 1 (a share of a table's rows)") }}
        {%- endif -%}
        {{ return(number) }}

    {%- elif name == 'stale_multiplier' -%}
        {%- set number = var_number(value) -%}
        {%- if number is none or number <= 0 -%}
            {{ var_rule_error(name, value, "a number greater than 0") }}
        {%- endif -%}
        {{ return(number) }}

    {%- elif name == 'forecast_uplift' -%}
        {%- set number = var_number(value) -%}
        {%- if number is none or number < -1 -%}
            {{ var_rule_error(name, value, "a number of at least -1 (0.30 is 30% more than last year)") }}
        {%- endif -%}
        {{ return(number) }}

    {%- elif name == 'fiscal_year_start_month' -%}
        {%- set number = var_whole_number(value) -%}
        {%- if number is none or number < 1 or number > 12 -%}
            {{ var_rule_error(name, value, "a whole number from 1 (January) to 12") }}
        {%- endif -%}
        {{ return(number) }}

    {%- elif name == 'required_activity_trailing_months' -%}
        {%- set number = var_whole_number(value) -%}
        {%- if number is none or number < 1 -%}
            {{ var_rule_error(name, value, "a whole number of at least 1") }}
        {%- endif -%}
        {{ return(number) }}

    {%- elif name in ('calendar_start_date', 'calendar_end_date') -%}
        {%- if blank and name == 'calendar_end_date' -%}{{ return(none) }}{%- endif -%}
        {%- set parsed = var_timestamp(value, date_only=true) -%}
        {%- if parsed is none -%}
            {{ var_rule_error(name, value, "a date 'YYYY-MM-DD'") }}
        {%- endif -%}
        {%- if name == 'calendar_end_date' and parsed < checked_var('calendar_start_date') -%}
            {{ var_rule_error(name, value, "a date on or after calendar_start_date") }}
        {%- endif -%}
        {{ return(parsed) }}

    {%- elif name == 'corporate_currency' -%}
        {%- if value is not string or not modules.re.match('^[A-Za-z]{3}$', value | trim) -%}
            {{ var_rule_error(name, value, "a three-letter ISO currency code such as 'USD'") }}
        {%- endif -%}
        {{ return(value | trim | upper) }}

    {%- elif name == 'completed_task_statuses' -%}
        {%- set statuses = var_text_list(value) -%}
        {%- if statuses is none or statuses | length == 0 -%}
            {{ var_rule_error(name, value, "a list of one or more task statuses such as ['Completed']") }}
        {%- endif -%}
        {{ return(statuses) }}

    {%- elif name == 'stage_catalogue' -%}
        {%- if value is not string or not modules.re.match(name_pattern, value) -%}
            {{ var_rule_error(name, value, "the name of a seed such as 'stage_catalogue'") }}
        {%- endif -%}
        {{ return(value) }}

    {%- elif name in ('raw_database', 'raw_schema') -%}
        {%- if blank and name == 'raw_database' -%}{{ return(none) }}{%- endif -%}
        {%- if value is not string or not modules.re.match(relation_pattern, value) -%}
            {{ var_rule_error(name, value, "a name of letters, digits, _, $, - and ." ~ (" or null" if name == 'raw_database' else "")) }}
        {%- endif -%}
        {{ return(value) }}

    {%- elif name == 'raw_loaded_at_column' -%}
        {%- if blank -%}{{ return(none) }}{%- endif -%}
        {%- if value is not string or not modules.re.match(name_pattern, value) -%}
            {{ var_rule_error(name, value, "a column name or null") }}
        {%- endif -%}
        {{ return(value) }}

    {%- elif name == 'raw_table_names' -%}
        {%- if value is none -%}{{ return({}) }}{%- endif -%}
        {%- set tables = crm_staged_tables() | map(attribute='source_table') | list -%}
        {%- set rule = "a mapping from contract table names (" ~ (tables | join(', '))
            ~ ") to the names they landed under" -%}
        {%- if value is not mapping -%}{{ var_rule_error(name, value, rule) }}{%- endif -%}
        {%- for table, landed in value.items() -%}
            {%- if table not in tables or landed is not string or not modules.re.match(relation_pattern, landed) -%}
                {{ var_rule_error(name, value, rule) }}
            {%- endif -%}
        {%- endfor -%}
        {{ return(value) }}

    {%- elif name in ('opportunity_pass_through_columns', 'account_pass_through_columns') -%}
        {%- if value is none -%}{{ return([]) }}{%- endif -%}
        {%- set rule = "a list of column names or {name: ..., alias: ...} entries" -%}
        {%- if value is string or value is mapping or value is not iterable -%}
            {{ var_rule_error(name, value, rule) }}
        {%- endif -%}
        {%- for entry in value -%}
            {%- set names = [entry.get('name'), entry.get('alias') or entry.get('name')] if entry is mapping else [entry] -%}
            {%- for column in names if column is not string or not modules.re.match(name_pattern, column) -%}
                {{ var_rule_error(name, value, rule) }}
            {%- endfor -%}
        {%- endfor -%}
        {{ return(value) }}

    {%- elif name == 'build_id' -%}
        {%- if blank -%}{{ return(none) }}{%- endif -%}
        {%- if not modules.re.fullmatch('[A-Za-z0-9._:-]{1,64}', value | string) -%}
            {{ var_rule_error(name, value, "1 to 64 letters, digits and . _ : - (such as '20261202T051500Z-1a2b3c4d')") }}
        {%- endif -%}
        {{ return(value | string) }}

    {%- elif name == 'build_schema_suffix' -%}
        {%- if blank -%}{{ return('') }}{%- endif -%}
        {%- if not modules.re.fullmatch('__[a-z0-9_]{1,30}', value | string) -%}
            {{ var_rule_error(name, value, "'__' and up to 30 of a-z, 0-9 and _ (such as '__building')") }}
        {%- endif -%}
        {{ return(value) }}

    {%- else -%}
        {{ exceptions.raise_compiler_error("checked_var: var " ~ name ~ " has no rule; add one in macros/checked_var.sql") }}
    {%- endif -%}
{%- endmacro %}


{#- Stops the run: var <name> must be <rule>, got <value> (text in quotes, as it was sent). -#}
{% macro var_rule_error(name, value, rule) -%}
    {%- set shown = "'" ~ value ~ "'" if value is string else ('null' if value is none else value | string) -%}
    {{ exceptions.raise_compiler_error("var " ~ name ~ " must be " ~ rule ~ ", got " ~ shown) }}
{%- endmacro %}


{#- A number (not a boolean), or text that spells one; none otherwise. -#}
{% macro var_number(value) -%}
    {%- if value is number and value is not boolean -%}
        {{ return(value) }}
    {%- elif value is string and modules.re.match('^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$', value | trim) -%}
        {{ return(value | trim | float) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- A whole number (not a boolean), or text of digits; none otherwise. -#}
{% macro var_whole_number(value) -%}
    {%- if value is integer and value is not boolean -%}
        {{ return(value) }}
    {%- elif value is string and modules.re.match('^[+-]?[0-9]+$', value | trim) -%}
        {{ return(value | trim | int) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- A list of non-empty texts (a YAML list), or none. -#}
{% macro var_text_list(value) -%}
    {%- if value is none or value is string or value is mapping or value is not iterable -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for entry in value if entry is not string or entry | trim == '' -%}
        {{ return(none) }}
    {%- endfor -%}
    {{ return(value | list) }}
{%- endmacro %}


{#-
    A timestamp as 'YYYY-MM-DD HH:MM:SS' (date_only: a date as 'YYYY-MM-DD') from text in
    that form, a date alone, or the date or datetime YAML makes of an unquoted value; none
    when it is not one, or names a day the calendar does not have (2026-02-30).
-#}
{% macro var_timestamp(value, date_only=false) -%}
    {%- set out_format = '%Y-%m-%d' if date_only else '%Y-%m-%d %H:%M:%S' -%}
    {%- if value is not string -%}
        {%- if value is not none and value.strftime is defined and (not date_only or value.hour is not defined) -%}
            {{ return(value.strftime(out_format)) }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set time_part = '' if date_only else '([ T]([0-9]{2}):([0-9]{2})(:([0-9]{2}))?)?' -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})' ~ time_part ~ '$', value | trim) -%}
    {%- if not match -%}{{ return(none) }}{%- endif -%}
    {%- set parts = match.groups() -%}
    {%- set year, month, day = parts[0] | int, parts[1] | int, parts[2] | int -%}
    {%- set hour = (parts[4] or 0) | int if not date_only else 0 -%}
    {%- set minute = (parts[5] or 0) | int if not date_only else 0 -%}
    {%- set second = (parts[7] or 0) | int if not date_only else 0 -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > month_days[month - 1]
        or hour > 23 or minute > 59 or second > 59 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set day_text = '%04d-%02d-%02d' | format(year, month, day) -%}
    {{ return(day_text if date_only else day_text ~ (' %02d:%02d:%02d' | format(hour, minute, second))) }}
{%- endmacro %}
