-- A rep's monthly quotas within a quarter sum to the rep's quarterly quota of the same type,
-- within 0.5%, wherever both exist.

with

quotas as (

    select * from {{ ref('quota_attainment') }}

),

quarter_quotas as (

    select * from quotas
    where scope = 'rep' and period_type = 'quarter'

),

monthly_sums as (

    select
        quarter_quotas.quota_id,
        count(*) as month_quotas,
        sum(month_quotas.target_value) as monthly_total
    from quarter_quotas
    inner join quotas as month_quotas
        on
            quarter_quotas.owner_id = month_quotas.owner_id
            and quarter_quotas.quota_type = month_quotas.quota_type
            and quarter_quotas.period_start <= month_quotas.period_start
            and {{ dbt.dateadd('month', 3, 'quarter_quotas.period_start') }}
            > month_quotas.period_start
    where month_quotas.scope = 'rep' and month_quotas.period_type = 'month'
    group by 1

),

compared as (

    select
        quarter_quotas.quota_id,
        quarter_quotas.owner_id,
        quarter_quotas.period_start,
        quarter_quotas.quota_type,
        quarter_quotas.target_value as quarter_target,
        monthly_sums.month_quotas,
        monthly_sums.monthly_total,
        monthly_sums.monthly_total - quarter_quotas.target_value as difference
    from quarter_quotas
    inner join monthly_sums
        on quarter_quotas.quota_id = monthly_sums.quota_id

)

select
    quota_id,
    owner_id,
    period_start,
    quota_type,
    quarter_target,
    month_quotas,
    monthly_total,
    difference,
    {{ dbt.concat([
        "'the monthly quotas sum to '", money_text('monthly_total'),
        "case when difference < 0 then ', short of' else ', over' end",
        "' the quarterly quota of '", money_text('quarter_target'),
        "' by '", money_text('abs(difference)'),
    ]) }} as problem

from compared
where abs(difference) > 0.005 * abs(quarter_target)
