with

closed_deals as (

    select * from {{ ref('int_rep_closed_deals_monthly') }}

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'month_start']) }} as rep_follow_up_summary_id,
        rep_id,

        -- dates
        month_start,

        -- numerics
        cast(closed_deals as {{ dbt.type_bigint() }}) as closed_opportunities,
        cast(won_deals as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(lost_deals as {{ dbt.type_bigint() }}) as lost_opportunities,
        {{ safe_divide('won_follow_ups', 'won_deals') }} as avg_follow_ups_won,
        {{ safe_divide('lost_follow_ups', 'lost_deals') }} as avg_follow_ups_lost,
        cast(won_with_5_plus as {{ dbt.type_bigint() }}) as won_with_5_plus,
        {{ safe_divide('won_with_5_plus', 'won_deals') }} as share_won_with_5_plus,
        cast(lost_after_at_most_1 as {{ dbt.type_bigint() }}) as lost_after_at_most_1,
        {{ safe_divide('lost_after_at_most_1', 'lost_deals') }} as share_lost_after_at_most_1

    from closed_deals

)

select
    *,
    {{ build_columns() }}
from final
