{#-
    How a data test runs: as dbt's own materialization does, except that with store_failures
    the rows a test finds are written (schema dbt_test__audit, under the test's name) only
    when it finds some. dbt's writes every test's rows on every run, found or not: a drop,
    a create and a commit for each of some 300 tests, which cost a build as much time as the
    tests' own queries. A test that finds nothing drops the table an earlier run left, so
    that what the schema holds is what this run found, and a passing test has no table.
    A test that finds rows runs its query a second time to keep them.
-#}
{%- materialization test, default -%}

    {%- set limit = config.get('limit') -%}
    {%- set sql_header = config.get('sql_header') if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS else none -%}
    {%- set sql_with_limit -%}
        {{ get_limit_subquery_sql(sql, limit) }}
    {%- endset -%}

    {%- call statement('main', fetch_result=True) -%}
        {% if sql_header %}{{ sql_header }}{% endif %}
        {{ get_test_sql(sql_with_limit, config.get('fail_calc'), config.get('warn_if'), config.get('error_if'), limit=none) }}
    {%- endcall -%}

    {%- set relations = [] -%}
    {%- if should_store_failures() -%}
        {%- set failures = load_result('main')['data'][0][0] -%}
        {%- set store_as = config.get('store_failures_as') or 'table' -%}
        {%- if store_as not in ['table', 'view'] -%}
            {{ exceptions.raise_compiler_error(
                "'" ~ store_as ~ "' is not a valid value for `store_failures_as`: use table or view") }}
        {%- endif -%}
        {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=model['alias']) -%}
        {%- if old_relation -%}
            {%- do adapter.drop_relation(old_relation) -%}
        {%- endif -%}
        {%- if failures is not none and failures != 0 -%}
            {%- set target_relation = api.Relation.create(
                identifier=model['alias'], schema=schema, database=database, type=store_as) -%}
            {%- call statement(auto_begin=True) -%}
                {% if sql_header %}{{ sql_header }}{% endif %}
                {{ get_create_sql(target_relation, sql_with_limit) }}
            {%- endcall -%}
            {%- do relations.append(target_relation) -%}
        {%- endif -%}
        {{ adapter.commit() }}
    {%- endif -%}

    {{ return({'relations': relations}) }}

{%- endmaterialization -%}
