-- A won opportunity is closed, has an amount above zero and a close date.
{{ config(store_failures=true) }}

select
    opportunity_id,
    stage_name,
    amount,
    close_date,
    case
        when not is_closed then 'won but not closed'
        when amount is null or amount <= 0 then 'won without an amount above zero'
        else 'won without a close date'
    end as problem

from {{ ref('fct_opportunities') }}
where
    is_won
    and (not is_closed or amount is null or amount <= 0 or close_date is null)
