{#-
    The exchange rates as non-overlapping date ranges per currency: a rate holds from its
    start date until the next rate of the currency starts (or its own next_start_date, if
    earlier), so a date never finds two rates. The corporate currency is always 1.
    conversion_rate is in units of the currency per unit of the corporate currency, so an
    amount converts as amount / conversion_rate.
-#}
with

rates as (

    select
        currency_code,
        conversion_rate,
        start_date,
        next_start_date,
        lead(start_date) over (
            partition by currency_code order by start_date, dated_conversion_rate_id
        ) as next_rate_start_date
    from {{ ref('stg_crm__dated_conversion_rates') }}
    where currency_code != {{ corporate_currency() }}

),

corporate as (

    select
        {{ corporate_currency() }} as currency_code,
        cast(1 as {{ dbt.type_numeric() }}) as conversion_rate,
        cast(null as date) as start_date,
        cast(null as date) as valid_until

),

final as (

    select
        currency_code,
        cast(conversion_rate as {{ dbt.type_numeric() }}) as conversion_rate,
        start_date,
        case
            when next_rate_start_date is null then next_start_date
            when next_start_date is null or next_rate_start_date < next_start_date
                then next_rate_start_date
            else next_start_date
        end as valid_until
    from rates

    union all

    select * from corporate

)

select * from final
