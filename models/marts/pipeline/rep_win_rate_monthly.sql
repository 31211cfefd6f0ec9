with

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where is_closed

),

monthly as (

    -- credited to the owner when the deal closed
    select
        closing_rep_id as rep_id,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as month_start,
        count(case when is_won then 1 end) as won,
        count(case when not is_won then 1 end) as lost,
        coalesce(sum(case when is_won then amount end), 0) as won_amount,
        coalesce(sum(case when not is_won then amount end), 0) as lost_amount,
        avg(case when is_won then days_to_close end) as avg_days_to_close_won,
        {{ median_of('case when is_won then days_to_close end') }} as median_days_to_close_won,
        avg(case when is_won then amount end) as avg_won_deal_size

    from opportunities
    group by 1, 2

),

final as (

    select
        {{ row_key(['rep_id', 'month_start']) }} as rep_win_rate_monthly_id,
        rep_id,
        month_start,
        won,
        lost,
        cast(won_amount as {{ dbt.type_numeric() }}) as won_amount,
        cast(lost_amount as {{ dbt.type_numeric() }}) as lost_amount,
        cast(avg_days_to_close_won as double precision) as avg_days_to_close_won,
        cast(median_days_to_close_won as double precision) as median_days_to_close_won,
        cast(avg_won_deal_size as double precision) as avg_won_deal_size,
        {{ safe_divide('won', 'won + lost') }} as win_rate,
        {{ safe_divide('won_amount', 'won_amount + lost_amount') }} as amount_win_rate

    from monthly

)

select * from final
