{#-
    dbt-spark's listagg (1.11) ignores its order_by_clause, and a list a reviewer reads
    (crm_load_reconciliation's top reasons) then came out in whatever order Spark collected
    it. Here the values are collected with their sort keys and sorted by them: the clause is
    'order by <expression> [asc|desc], ...', with no commas inside an expression.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if order_by_clause -%}
        {%- set keys = [] -%}
        {%- set comparisons = [] -%}
        {%- for item in (order_by_clause | trim)[8:].split(',') -%}
            {%- set words = item.strip().split(' ') -%}
            {%- set descending = words[-1] | lower == 'desc' -%}
            {%- set expression = (words[:-1] if words[-1] | lower in ('asc', 'desc') else words) | join(' ') -%}
            {%- do keys.append(expression ~ ' as k' ~ loop.index0) -%}
            {%- set before = '1' if descending else '-1' -%}
            {%- set after = '-1' if descending else '1' -%}
            {%- do comparisons.append('when l.k' ~ loop.index0 ~ ' < r.k' ~ loop.index0 ~ ' then ' ~ before
                ~ ' when l.k' ~ loop.index0 ~ ' > r.k' ~ loop.index0 ~ ' then ' ~ after) -%}
        {%- endfor -%}
        {%- set collected -%}
            transform(
                array_sort(
                    collect_list(struct({{ keys | join(', ') }}, {{ measure }} as v)),
                    (l, r) -> case {{ comparisons | join(' ') }} else 0 end
                ),
                x -> x.v
            )
        {%- endset -%}
    {%- else -%}
        {%- set collected = 'collect_list(' ~ measure ~ ')' -%}
    {%- endif -%}
    array_join({{ 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' if limit_num else collected }}, {{ delimiter_text }})
{%- endmacro %}
