with

attainment as (

    select * from {{ ref('quota_attainment') }}
    where scope = 'rep'

),

combined as (

    select
        owner_id as rep_id,
        period_type,
        period_start,
        min(period_state) as period_state,
        count(*) as quotas,
        count(case when is_met then 1 end) as quotas_met
    from attainment
    group by 1, 2, 3

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'period_type', 'period_start']) }} as rep_combined_quota_id,
        rep_id,

        -- strings
        period_type,
        period_state,

        -- dates
        period_start,

        -- numerics
        cast(quotas as {{ dbt.type_bigint() }}) as quotas,
        cast(quotas_met as {{ dbt.type_bigint() }}) as quotas_met,

        -- booleans: a combined quota is met only when every one of its quotas is
        quotas_met = quotas as all_met

    from combined

)

select
    *,
    {{ build_columns() }}
from final
