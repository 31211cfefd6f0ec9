-- A won opportunity is closed, has an amount above zero and a close date. The amount is the
-- CRM's, in the deal's own currency: a missing exchange rate is another rule's to report.
{{ config(store_failures=true) }}

select
    opportunity_id,
    stage_name,
    amount_in_currency as amount,
    close_date,
    case
        when not is_closed then 'won but not closed'
        when amount_in_currency is null or amount_in_currency <= 0
            then 'won without an amount above zero'
        else 'won without a close date'
    end as problem

from {{ ref('fct_opportunities') }}
where
    is_won
    and (
        not is_closed or amount_in_currency is null or amount_in_currency <= 0 or close_date is null
    )
