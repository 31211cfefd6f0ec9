with

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'month_start']) }} as rep_win_rate_monthly_id,
        rep_id,

        -- dates
        month_start,

        -- numerics
        cast(won_deals as {{ dbt.type_bigint() }}) as won,
        cast(lost_deals as {{ dbt.type_bigint() }}) as lost,
        cast(won_amount as {{ dbt.type_numeric() }}) as won_amount,
        cast(lost_amount as {{ dbt.type_numeric() }}) as lost_amount,
        cast(avg_days_to_close_won as {{ type_double() }}) as avg_days_to_close_won,
        cast(median_days_to_close_won as {{ type_double() }}) as median_days_to_close_won,
        cast(avg_days_lead_to_close_won as {{ type_double() }}) as avg_days_lead_to_close_won,
        cast(median_days_lead_to_close_won as {{ type_double() }}) as median_days_lead_to_close_won,
        {{ safe_divide('won_amount', 'won_deals') }} as avg_won_deal_size,
        {{ safe_divide('won_deals', 'won_deals + lost_deals') }} as win_rate,
        {{ safe_divide('won_amount', 'won_amount + lost_amount') }} as amount_win_rate

    from closed_deals

)

select
    *,
    {{ build_columns() }}
from final
