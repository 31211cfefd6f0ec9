-- An owner has at most one live quota per scope, period and quota type.

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

grouped as (

    select
        owner_id,
        scope,
        period_type,
        period_start,
        quota_type,
        count(*) as quotas,
        {{ dbt.listagg('quota_id', "', '", "order by quota_id") }} as quota_ids
    from quotas
    group by 1, 2, 3, 4, 5

)

select
    owner_id,
    scope,
    period_type,
    period_start,
    quota_type,
    quota_ids,
    {{ dbt.concat([
        "cast(quotas as " ~ dbt.type_string() ~ ")",
        "' live quotas for one owner, scope, period and type: '", 'quota_ids',
    ]) }} as problem

from grouped
where quotas > 1
