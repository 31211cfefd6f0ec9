-- Every live quota has a target, and no target is below zero. A forecast quota's target
-- may be derived from last year's actual (quota_attainment); one that cannot be is named.

with

quotas as (

    select * from {{ ref('quota_attainment') }}

)

select
    quota_id,
    owner_id,
    scope,
    period_type,
    period_start,
    quota_type,
    quota_method,
    target_value,
    case
        when target_value is null and quota_method = 'forecast'
            then 'the forecast quota has no target, and no actual a year before to derive one from'
        when target_value is null then 'the quota has no target'
        else {{ dbt.concat([
            "'the target is negative: '", money_text('target_value'),
        ]) }}
    end as problem

from quotas
where target_value is null or target_value < 0
