with

rep_months as (

    select * from {{ ref('int_rep_month_spine') }}

),

months as (

    select * from {{ ref('dim_months') }}

),

activities as (

    select * from {{ ref('fct_activities') }}
    where is_counted

),

created_deals as (

    select * from {{ ref('int_rep_created_deals_monthly') }}

),

activity_counts as (

    select
        rep_id,
        activity_month as month_start,
        count(case when activity_type = 'call' then 1 end) as calls,
        count(case when activity_type = 'email' then 1 end) as emails,
        count(case when activity_type = 'meeting' then 1 end) as meetings,
        count(case when activity_type = 'demo' then 1 end) as demos,
        count(*) as sales_activities,
        count(case when is_outbound then 1 end) as outbound_calls,
        count(case when is_outbound and is_conversation then 1 end) as conversations
    from activities
    group by 1, 2

),

counted as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        months.working_days_elapsed as working_days,
        coalesce(activity_counts.calls, 0) as calls,
        coalesce(activity_counts.emails, 0) as emails,
        coalesce(activity_counts.meetings, 0) as meetings,
        coalesce(activity_counts.demos, 0) as demos,
        coalesce(activity_counts.sales_activities, 0) as sales_activities,
        coalesce(activity_counts.outbound_calls, 0) as outbound_calls,
        coalesce(activity_counts.conversations, 0) as conversations,
        coalesce(created_deals.opportunities_created, 0) as opportunities_created,
        coalesce(created_deals.new_business_opportunities_created, 0)
            as new_business_opportunities_created
    from rep_months
    inner join months
        on rep_months.month_start = months.month_start
    left join activity_counts
        on
            rep_months.rep_id = activity_counts.rep_id
            and rep_months.month_start = activity_counts.month_start
    left join created_deals
        on
            rep_months.rep_id = created_deals.rep_id
            and rep_months.month_start = created_deals.month_start

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'month_start']) }} as rep_activity_monthly_id,
        rep_id,

        -- dates
        month_start,

        -- numerics
        cast(calls as {{ dbt.type_bigint() }}) as calls,
        cast(emails as {{ dbt.type_bigint() }}) as emails,
        cast(meetings as {{ dbt.type_bigint() }}) as meetings,
        cast(demos as {{ dbt.type_bigint() }}) as demos,
        cast(sales_activities as {{ dbt.type_bigint() }}) as sales_activities,
        cast(working_days as {{ dbt.type_int() }}) as working_days,
        {{ safe_divide('sales_activities', 'working_days') }} as activities_per_working_day,
        cast(outbound_calls as {{ dbt.type_bigint() }}) as outbound_calls,
        cast(conversations as {{ dbt.type_bigint() }}) as conversations,
        {{ safe_divide('conversations', 'outbound_calls') }} as contact_rate,
        cast(opportunities_created as {{ dbt.type_bigint() }}) as opportunities_created,
        cast(new_business_opportunities_created as {{ dbt.type_bigint() }})
            as new_business_opportunities_created,
        -- renewals and upsells are not won by cold calls: only new business is their yield
        {{ safe_divide('new_business_opportunities_created * 1000', 'outbound_calls') }}
            as opportunities_per_1000_calls

    from counted

)

select
    *,
    {{ build_columns() }}
from final
