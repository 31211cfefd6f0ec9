with

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

monthly as (

    select
        rep_id,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start,
        count(*) as leads_created,
        count(case when is_responded then 1 end) as leads_responded,
        count(case when is_converted then 1 end) as leads_converted,
        count(case when is_referral then 1 end) as referral_leads,
        {{ median_of('response_minutes') }} as median_response_minutes
    from leads
    group by 1, 2

),

final as (

    select
        -- ids
        {{ row_key(['rep_months.rep_id', 'rep_months.month_start']) }}
            as rep_lead_response_monthly_id,
        rep_months.rep_id,

        -- dates
        rep_months.month_start,

        -- numerics
        cast(coalesce(monthly.leads_created, 0) as {{ dbt.type_bigint() }}) as leads_created,
        cast(coalesce(monthly.leads_responded, 0) as {{ dbt.type_bigint() }}) as leads_responded,
        cast(coalesce(monthly.leads_converted, 0) as {{ dbt.type_bigint() }}) as leads_converted,
        cast(coalesce(monthly.referral_leads, 0) as {{ dbt.type_bigint() }}) as referral_leads,
        {{ safe_divide('coalesce(monthly.leads_responded, 0)', 'monthly.leads_created') }}
            as response_rate,
        {{ safe_divide('coalesce(monthly.leads_converted, 0)', 'monthly.leads_created') }}
            as conversion_rate,
        cast(monthly.median_response_minutes as {{ type_double() }}) as median_response_minutes

    from rep_months
    left join monthly
        on
            rep_months.rep_id = monthly.rep_id
            and rep_months.month_start = monthly.month_start

)

select
    *,
    {{ build_columns() }}
from final
