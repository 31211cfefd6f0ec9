{#-
    Daily runs of the large tables (the base models of tasks, events, deals, their stage
    history, field history and line items, leads, accounts and quotas, and the activities
    and the deals' attached children built on them) on DuckDB and PostgreSQL: they
    recompute only the records that can read differently since the last build, instead of
    every row.

    Each such model keeps one row in <its schema>._salesperf_incremental_state: the as_of it
    was built for, the newest raw load (_loaded_at) it had read, and a fingerprint of its
    definition. A run recomputes by key when that state allows it, and rebuilds the whole
    table when:
    - var incremental_runs is false;
    - it is the first build, or dbt runs with --full-refresh;
    - the model, a model or seed upstream of it, a macro of the project, a var or the dbt
      version changed (the fingerprint);
    - as_of is earlier than the last build's (time travel: a past as_of is a rebuild);
    - for a base model, the raw table is not numbered by salesperf load;
    - the rows it read at its last build are not all there as they were: a row edited in
      place, a replace load or a hard delete. A base model's state keeps the count and a
      checksum of the raw rows it read; a model that reads incremental models keeps the run
      that last rebuilt each (a run by key does not change the rows a later build reads up
      to its high-water mark), and of any other input the count and a checksum.
    On other engines (Spark's plain parquet tables cannot delete rows) these are tables.
-#}

{#- The state table beside a model: this one, or the node given. -#}
{% macro incremental_state_relation(node=none) -%}
    {%- set owner = node if node is not none else this -%}
    {{ return(api.Relation.create(
        database=owner.database, schema=owner.schema, identifier='_salesperf_incremental_state', type='table',
    )) }}
{%- endmacro %}


{#- What the last build of this model recorded, or none. -#}
{% macro previous_incremental_state() -%}
    {%- set relation = load_relation(incremental_state_relation()) -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select as_of, loaded_at_high_water, definition_fingerprint, input_rows, rebuilt_in from ' ~ relation
        ~ ' where model_name = ' ~ text_literal(this.identifier)
    ) -%}
    {%- if rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'as_of': rows[0][0], 'loaded_at_high_water': rows[0][1], 'fingerprint': rows[0][2],
        'input_rows': rows[0][3], 'rebuilt_in': rows[0][4],
    }) }}
{%- endmacro %}


{#- A hash of what decides the model's rows besides the data: its own code and that of every
    model and seed upstream, the text of every macro of the project (the models' SQL is
    theirs as much as the models' own; all of them, since a dispatched implementation is no
    declared dependency), the dbt version (its own macros), and every var but those that
    name a build (as_of, whose moves the models handle, build_id and the schema suffix) and
    incremental_runs itself. -#}
{% macro definition_fingerprint() -%}
    {%- set parts = [] -%}
    {%- set visited = [] -%}
    {%- set pending = [model.unique_id] -%}
    {#- the list grows as it is walked: a breadth-first walk of the ancestors -#}
    {%- for unique_id in pending if unique_id not in visited -%}
        {%- do visited.append(unique_id) -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none -%}
            {%- do parts.append(unique_id ~ ':' ~ node.checksum.checksum) -%}
            {%- do pending.extend(node.depends_on.nodes) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- dbt puts each macro in the context as a callable that carries its parsed node -#}
    {%- for value in context.values()
        if value.macro is defined and value.macro.package_name == project_name -%}
        {%- do parts.append(value.macro.unique_id ~ ':' ~ local_md5(value.macro.macro_sql)) -%}
    {%- endfor -%}
    {%- do parts.append('dbt_version=' ~ dbt_version) -%}
    {%- for name in project_var_names()
        if name not in ['as_of', 'build_id', 'build_schema_suffix', 'incremental_runs'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(checked_var(name))) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | sort | join('\n'))) }}
{%- endmacro %}


{#-
    How this run builds the model: {'by_key': false, 'reason': ...} for a whole rebuild, or
    {'by_key': true, 'loaded_since': <the last build's newest _loaded_at>, 'previous_as_of':
    <its as_of>, 'rebuilt_in': <the run that last rebuilt it>, 'reason': ...}; with 'inputs',
    the checks of what it reads (input_checks) when the plan read them. The model's SQL and
    the strategy below both ask: the plan is made once per run and model, as its checks read
    whole tables.
    A base model names its raw table in config(incremental_raw_table=...).
-#}
{% macro incremental_plan() -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return({'by_key': false, 'reason': 'first build or full refresh'}) }}
    {%- endif -%}
    {#- the graph is the one object every node's contexts share during a run -#}
    {%- set plans = graph.setdefault('salesperf_incremental_plans', {}) -%}
    {%- set key = invocation_id ~ ':' ~ model.unique_id -%}
    {%- if key not in plans -%}
        {%- do plans.update({key: plan_incremental_run()}) -%}
    {%- endif -%}
    {{ return(plans[key]) }}
{%- endmacro %}

{% macro plan_incremental_run() -%}
    {%- if not checked_var('incremental_runs') -%}
        {{ return({'by_key': false, 'reason': 'incremental runs are off (var incremental_runs)'}) }}
    {%- endif -%}
    {%- set state = previous_incremental_state() -%}
    {%- if state is none or state.loaded_at_high_water is none -%}
        {{ return({'by_key': false, 'reason': 'no record of the last build'}) }}
    {%- endif -%}
    {%- if state.fingerprint != definition_fingerprint() -%}
        {{ return({'by_key': false, 'reason': 'its definition, one upstream, a macro, a var or dbt changed'}) }}
    {%- endif -%}
    {%- if as_of_value() < state.as_of -%}
        {{ return({'by_key': false, 'reason': 'as_of is earlier than the last build\'s (' ~ state.as_of ~ ')'}) }}
    {%- endif -%}
    {%- set raw_table = config.get('incremental_raw_table') -%}
    {%- if raw_table and not raw_table_numbered(raw_table) -%}
        {{ return({'by_key': false, 'reason': 'the raw table was not loaded by salesperf load, which numbers its rows'}) }}
    {%- endif -%}
    {%- set inputs = input_checks(state.loaded_at_high_water) -%}
    {%- set held = input_rows_text(inputs, 'held') -%}
    {%- if held != state.input_rows -%}
        {%- set changed, rebuilt = [], [] -%}
        {%- for part in held.split(';') if part not in (state.input_rows or '').split(';') -%}
            {%- set name, check = part.split('=', 1) -%}
            {%- do (rebuilt if check.startswith('rebuilt in ') else changed).append(name) -%}
        {%- endfor -%}
        {%- set reasons = [] -%}
        {%- if changed -%}
            {%- do reasons.append('rows of ' ~ changed | join(', ')
                ~ ' read by the last build changed (an edit in place, a replace load or a hard delete)') -%}
        {%- endif -%}
        {%- if rebuilt -%}
            {%- do reasons.append(rebuilt | join(', ') ~ ' rebuilt since the last build') -%}
        {%- endif -%}
        {{ return({'by_key': false, 'inputs': inputs, 'reason': reasons | join('; ')}) }}
    {%- endif -%}
    {{ return({
        'by_key': true,
        'loaded_since': state.loaded_at_high_water,
        'previous_as_of': state.as_of,
        'rebuilt_in': state.rebuilt_in,
        'inputs': inputs,
        'reason': 'records loaded after ' ~ state.loaded_at_high_water ~ ', as_of moved from ' ~ state.as_of,
    }) }}
{%- endmacro %}


{#- Whether a base model's raw table can be added to by key: each row has the number the
    loader gave it (a table numbered by the hash of its values, as EL tools land it,
    renumbers on every load) and its load time. -#}
{% macro raw_table_numbered(raw_table) -%}
    {%- set present = source_table_columns(source('crm', raw_table)) -%}
    {{ return(present is not none and '_source_row' in present and loaded_at_column(present) is not none) }}
{%- endmacro %}


{#- What this model reads, checked: name -> {'held': <check of the rows loaded by
    `loaded_until`>, 'all': <check of every row>, 'newest': <newest load time, as text>}.
    - A base model's raw table ('raw.<table>'): the count and a checksum of its rows. A base
      model keeps every raw row it read, and a run by key only adds rows loaded later: the
      rows loaded by the last build are the same at the next one unless some were edited in
      place, replaced or taken away (a key a run by key would never look at again).
    - An incremental model named in config(incremental_inputs=...): the run that last
      rebuilt it. A run by key of it changes, of the rows loaded by this model's last build,
      only what this model's run by key decides again for the records it recomputes (a
      record's older versions: their rank, disposition and kept raw values).
    - Any other input so named: the count and a checksum of its rows, without those three
      columns.
    `only` limits the checks to the names given. -#}
{% macro input_checks(loaded_until, only=none) -%}
    {%- set checks = {} -%}
    {%- set queries = [] -%}
    {%- set raw_table = config.get('incremental_raw_table') -%}
    {%- if raw_table and (only is none or 'raw.' ~ raw_table in only) -%}
        {%- set relation = source('crm', raw_table) -%}
        {%- set loaded_at = loaded_at_expression(loaded_at_column(source_table_columns(relation))) -%}
        {%- do queries.append(rows_checksum('raw.' ~ raw_table, relation, loaded_at, loaded_until)) -%}
    {%- endif -%}
    {%- set rebuilt = [] -%}
    {%- for name in config.get('incremental_inputs') or [] if only is none or name in only -%}
        {%- if incremental_model_named(name) -%}
            {%- do rebuilt.append(name) -%}
        {%- else -%}
            {%- do queries.append(rows_checksum(
                name, ref(name), '_loaded_at', loaded_until, ['version_rank', 'row_disposition', 'raw_values'],
            )) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, run in last_rebuilds(rebuilt).items() -%}
        {%- do checks.update({name: {'held': 'rebuilt in ' ~ run, 'all': 'rebuilt in ' ~ run, 'newest': none}}) -%}
    {%- endfor -%}
    {%- if queries -%}
        {%- for row in run_query(queries | join(' union all ')) -%}
            {%- do checks.update({row[0]: {'held': row[1], 'all': row[2], 'newest': row[3]}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(checks) }}
{%- endmacro %}


{#- The checks as the state keeps them: 'name=<check>;...', sorted by name. -#}
{% macro input_rows_text(checks, which) -%}
    {%- set parts = [] -%}
    {%- for name, check in checks.items() -%}
        {%- do parts.append(name ~ '=' ~ check[which]) -%}
    {%- endfor -%}
    {{ return(parts | sort | join(';')) }}
{%- endmacro %}


{% macro incremental_model_named(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(node.config.materialized == 'incremental') }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}


{#- name -> the run (dbt's invocation id) that last rebuilt each of these incremental
    models, as its state records; none for one without a record. -#}
{% macro last_rebuilds(names) -%}
    {%- set runs = {} -%}
    {%- set queries = [] -%}
    {%- for name in names -%}
        {%- do runs.update({name: none}) -%}
        {%- do queries.append(
            'select model_name, rebuilt_in from ' ~ incremental_state_relation(ref(name))
            ~ ' where model_name = ' ~ text_literal(ref(name).identifier)) -%}
    {%- endfor -%}
    {%- if queries -%}
        {%- for row in run_query(queries | join(' union all ')) -%}
            {%- for name in names if ref(name).identifier == row[0] -%}
                {%- do runs.update({name: row[1]}) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(runs) }}
{%- endmacro %}


{#- A query of one row: `name`, the count and checksum of the rows of `relation` whose
    `loaded_at` is at most `loaded_until` or missing (a row written without a load time,
    which a run by key would never read: adding one rebuilds), the same of every row, and
    the newest `loaded_at` as text. The checksum is of the value of every column but
    `excluded`, so that a row edited in place changes it; engines without one (no
    incremental models there) give the count. -#}
{% macro rows_checksum(name, relation, loaded_at, loaded_until, excluded=[]) -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in excluded -%}
        {%- do columns.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- set held = '(' ~ loaded_at ~ ' <= ' ~ loaded_at_literal(loaded_until) ~ ' or ' ~ loaded_at ~ ' is null)' -%}
    {{ return(adapter.dispatch('rows_checksum', 'salesperf')(name, relation, columns, loaded_at, held)) }}
{%- endmacro %}

{% macro default__rows_checksum(name, relation, columns, loaded_at, held) -%}
    select
        {{ text_literal(name) }} as input_name,
        cast(count(case when {{ held }} then 1 end) as {{ dbt.type_string() }}) as held_rows,
        cast(count(*) as {{ dbt.type_string() }}) as all_rows,
        cast(max({{ loaded_at }}) as {{ dbt.type_string() }}) as newest
    from {{ relation }}
{%- endmacro %}

{% macro duckdb__rows_checksum(name, relation, columns, loaded_at, held) -%}
    select
        {{ text_literal(name) }} as input_name,
        cast(count(case when held then 1 end) as varchar) || '/'
            || cast(coalesce(bit_xor(case when held then row_hash end), 0) as varchar) as held_rows,
        cast(count(*) as varchar) || '/' || cast(coalesce(bit_xor(row_hash), 0) as varchar) as all_rows,
        cast(max(loaded_at) as varchar) as newest
    from (
        select hash({{ columns | join(', ') }}) as row_hash, {{ held }} as held, {{ loaded_at }} as loaded_at
        from {{ relation }}
    ) as checked
{%- endmacro %}

{% macro postgres__rows_checksum(name, relation, columns, loaded_at, held) -%}
    select
        {{ text_literal(name) }} as input_name,
        count(case when held then 1 end)::text || '/'
            || coalesce(bit_xor(case when held then row_hash end), 0)::text as held_rows,
        count(*)::text || '/' || coalesce(bit_xor(row_hash), 0)::text as all_rows,
        max(loaded_at)::text as newest
    from (
        select
            hashtextextended(row({{ columns | join(', ') }})::text, 0) as row_hash,
            {{ held }} as held,
            {{ loaded_at }} as loaded_at
        from {{ relation }}
    ) as checked
{%- endmacro %}


{% macro loaded_at_literal(value) -%}
    cast({{ text_literal(value) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- The ids of a base model's records with a row loaded after the last build (record_id). -#}
{% macro ids_loaded_since(base_model, id_column, plan) -%}
    select {{ id_column }} as record_id from {{ ref(base_model) }}
    where _loaded_at > {{ loaded_at_literal(plan.loaded_since) }} and {{ id_column }} is not null
{%- endmacro %}


{#- How a run built the model, in a line: what the log says and the state records. -#}
{% macro incremental_run_summary(plan) -%}
    {%- if plan is none -%}
        {{ return('rebuilt: first build or full refresh') }}
    {%- endif -%}
    {{ return(('recomputed by key: ' if plan.by_key else 'rebuilt: ') ~ plan.reason) }}
{%- endmacro %}


{#-
    The strategy of these models: delete the keys this run recomputes, then insert their new
    rows; on a rebuild, delete every row first. A key recomputed to no row (a record deleted
    since) is deleted too: config(incremental_removed_keys=<macro>) names a macro that, given
    the plan, selects the keys that may have lost their row.
-#}
{% macro get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set plan = incremental_plan() -%}
    {%- set removed_keys = config.get('incremental_removed_keys') -%}
    {%- do log(this.identifier ~ ': ' ~ incremental_run_summary(plan), info=true) -%}
    {#- for the post-hook, which runs in this same context and records it -#}
    {%- do model.update({'salesperf_incremental_plan': plan}) -%}
    delete from {{ target_relation }}
    {%- if plan.by_key %}
    where {{ key }} in (select {{ key }} from {{ arg_dict['temp_relation'] }})
        {%- if removed_keys %}
        or {{ key }} in ({{ context[removed_keys](plan) }})
        {%- endif %}
    {%- endif %};

    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{% macro incremental_state_columns() -%}
    {{ return(['model_name', 'as_of', 'loaded_at_high_water', 'definition_fingerprint', 'input_rows', 'last_run',
        'rebuilt_in']) }}
{%- endmacro %}


{#-
    At the start of a run, the state table in each schema that holds such a model (made
    here, once, and not by the models themselves, which run side by side). Renders the
    statements, which dbt runs as the hook; it reads nothing from the warehouse, so that no
    transaction is left open around them.
-#}
{% macro create_incremental_state_tables() -%}
    {%- set statements = [] -%}
    {%- if execute -%}
        {%- set typed = [] -%}
        {%- for column in incremental_state_columns() -%}
            {%- do typed.append(column ~ ' ' ~ dbt.type_string()) -%}
        {%- endfor -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
            {%- set state = incremental_state_relation(node) -%}
            {%- set create = 'create table if not exists ' ~ state ~ ' (' ~ typed | join(', ') ~ ')' -%}
            {%- if create not in statements -%}
                {%- do statements.append('create schema if not exists ' ~ state.include(database=false, identifier=false)) -%}
                {%- do statements.append(create) -%}
                {#- a state table made before the last column was added -#}
                {%- do statements.append('alter table ' ~ state ~ ' add column if not exists ' ~ typed[-1]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ statements | join(';\n') }}
{%- endmacro %}


{#-
    The post-hook of these models: records the as_of they were built for, the newest
    _loaded_at they read (in the base models named by config(incremental_inputs=...), or
    in the model itself), the checks of what they read up to it (input_checks), the
    fingerprint, the run that last rebuilt them, and how this run built them. Runs on
    rebuilds too. A check the plan made of every row of an input serves when no row of it
    is newer than the high-water mark, as after a load has finished: the input is read once.
-#}
{% macro record_incremental_state() -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
        {%- set state = incremental_state_relation() -%}
        {%- set plan = model.get('salesperf_incremental_plan') or {} -%}
        {%- set newest = [] -%}
        {%- for name in config.get('incremental_inputs') or [this.identifier] -%}
            {%- set relation = this if name == this.identifier else ref(name) -%}
            {%- do newest.append('select max(_loaded_at) as loaded_at from ' ~ relation) -%}
        {%- endfor -%}
        {%- set high_water = run_query(
            'select cast(max(loaded_at) as ' ~ dbt.type_string() ~ ') from (' ~ newest | join(' union all ') ~ ') as loads'
        )[0][0] -%}
        {%- set input_rows = none -%}
        {%- if high_water is not none -%}
            {%- set checks = {} -%}
            {%- set stale = [] -%}
            {%- for name, check in (plan.get('inputs') or {}).items() -%}
                {%- if check.newest is none or check.newest == high_water -%}
                    {%- do checks.update({name: {'held': check['all']}}) -%}
                {%- else -%}
                    {%- do stale.append(name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if stale or not checks -%}
                {%- do checks.update(input_checks(high_water, only=stale if checks else none)) -%}
            {%- endif -%}
            {%- set input_rows = input_rows_text(checks, 'held') -%}
        {%- endif -%}
        {%- set rebuilt_in = plan.rebuilt_in if plan.by_key and plan.rebuilt_in else invocation_id -%}
        {%- do run_query('delete from ' ~ state ~ ' where model_name = ' ~ text_literal(this.identifier)) -%}
        {%- do run_query(
            'insert into ' ~ state ~ ' (' ~ incremental_state_columns() | join(', ') ~ ') values ('
            ~ text_literal(this.identifier) ~ ', '
            ~ text_literal(as_of_value()) ~ ', '
            ~ (text_literal(high_water) if high_water is not none else 'null') ~ ', '
            ~ text_literal(definition_fingerprint()) ~ ', '
            ~ (text_literal(input_rows) if input_rows is not none else 'null') ~ ', '
            ~ text_literal(incremental_run_summary(plan or none)) ~ ', '
            ~ text_literal(rebuilt_in) ~ ')'
        ) -%}
    {%- endif -%}
{%- endmacro %}


{#- The dependencies on the base models a daily run reads (their _loaded_at), which only
    that run's SQL names; none in a unit test, whose inputs are the model's own refs. -#}
{% macro depends_on_incremental_inputs(names) -%}
    {%- if model.resource_type != 'unit_test' -%}
        {%- for name in names %}
-- depends_on: {{ ref(name) }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#- The raw rows a base model classifies in this run: all of them on a rebuild; on a daily
    run every row of each record with a row loaded since the last build (its versions are
    ranked again, so a new version or a deletion re-decides the older rows), and the new
    rows without an id. raw_rows is the select of the raw table, written out at each read
    rather than named once as a CTE: DuckDB materializes a CTE read twice, every raw row and
    column of it, before the filter keeps the day's records. A base model's CTE of these
    rows is read by each branch of versions_ranked: it is declared not_materialized on a
    rebuild (every raw row, streamed to each reader) and left to the engine on a daily run,
    where DuckDB writes the day's few records once instead of filtering the raw table again
    for each reader (22.8 CPU s against 10.0 for a day's 30,000 tasks of 34M). -#}
{% macro raw_rows_to_classify(raw_rows, id_expression, plan) -%}
    select * from ({{ raw_rows }}) as raw_row
    {%- if plan.by_key %}
    where
        {{ id_expression }} in (
            select {{ id_expression }} from ({{ raw_rows }}) as loaded_row
            where _loaded_at > {{ loaded_at_literal(plan.loaded_since) }}
        )
        or ({{ id_expression }} is null and _loaded_at > {{ loaded_at_literal(plan.loaded_since) }})
    {%- endif %}
{%- endmacro %}
