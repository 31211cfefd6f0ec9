{#-
    One row: the first month the CRM has data for, the month of its earliest activity,
    deal (created or closed) or lead up to as_of. Plans (quotas, rep costs) reach back
    further than the records; monthly rows, costs and derived targets start here.
-#}
with

activities as (

    select * from {{ ref('int_activities_linked') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_as_of') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

record_dates as (

    select activity_date as record_date
    from activities

    union all

    select cast(created_at as date) as record_date
    from opportunities

    union all

    select close_date as record_date
    from opportunities
    where is_closed

    union all

    select cast(created_at as date) as record_date
    from leads

),

final as (

    select
        -- dates
        cast({{ dbt.date_trunc('month', 'min(record_date)') }} as date) as first_month

    from record_dates
    where record_date <= {{ as_of_date() }}

)

select * from final
