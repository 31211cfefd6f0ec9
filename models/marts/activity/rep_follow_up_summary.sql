with

closed_opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where is_closed

),

monthly as (

    -- credited to the owner when the deal closed
    select
        closing_rep_id as rep_id,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as month_start,
        count(*) as closed_opportunities,
        count(case when is_won then 1 end) as won_opportunities,
        count(case when not is_won then 1 end) as lost_opportunities,
        sum(case when is_won then follow_up_count end) as won_follow_ups,
        sum(case when not is_won then follow_up_count end) as lost_follow_ups,
        count(case when is_won and follow_up_count >= 5 then 1 end) as won_with_5_plus,
        count(case when not is_won and follow_up_count <= 1 then 1 end) as lost_after_at_most_1
    from closed_opportunities
    group by 1, 2

),

final as (

    select
        -- ids
        {{ row_key(['rep_id', 'month_start']) }} as rep_follow_up_summary_id,
        rep_id,

        -- dates
        month_start,

        -- numerics
        cast(closed_opportunities as {{ dbt.type_bigint() }}) as closed_opportunities,
        cast(won_opportunities as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(lost_opportunities as {{ dbt.type_bigint() }}) as lost_opportunities,
        {{ safe_divide('won_follow_ups', 'won_opportunities') }} as avg_follow_ups_won,
        {{ safe_divide('lost_follow_ups', 'lost_opportunities') }} as avg_follow_ups_lost,
        cast(won_with_5_plus as {{ dbt.type_bigint() }}) as won_with_5_plus,
        {{ safe_divide('won_with_5_plus', 'won_opportunities') }} as share_won_with_5_plus,
        cast(lost_after_at_most_1 as {{ dbt.type_bigint() }}) as lost_after_at_most_1,
        {{ safe_divide('lost_after_at_most_1', 'lost_opportunities') }}
            as share_lost_after_at_most_1

    from monthly

)

select * from final
