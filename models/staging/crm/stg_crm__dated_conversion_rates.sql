with

base as (

    select * from {{ ref('base_crm__dated_conversion_rates') }}

),

final as (

    select
        -- ids
        dated_conversion_rate_id,

        -- strings
        currency_code,

        -- numerics: units of the currency that buy one unit of the corporate currency
        conversion_rate,

        -- dates: the rate holds from start_date up to, not including, next_start_date
        start_date,
        next_start_date

    from base
    where row_disposition = 'live'

)

select * from final
