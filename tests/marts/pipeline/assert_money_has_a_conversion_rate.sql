-- Every amount in another currency has a dated conversion rate on the day it is read: a
-- deal's close date (an open deal's: as_of), each month-end of the pipeline snapshots. One
-- row per currency and day without a rate, with how many amounts wait for it; such an
-- amount is never counted as if it were in the corporate currency.

with

unconverted as (

    select
        currency_code,
        rate_date,
        'fct_opportunities' as read_by
    from {{ ref('fct_opportunities') }}
    where amount_in_currency is not null and amount is null

    union all

    select
        currency_code,
        snapshot_date as rate_date,
        'pipeline_snapshot' as read_by
    from {{ ref('int_pipeline_month_end_positions') }}
    where amount_in_currency is not null and amount is null

)

select
    currency_code,
    rate_date,
    read_by,
    count(*) as amounts,
    {{ dbt.concat([
        "'no conversion rate for '", 'currency_code', "' on '",
        'cast(rate_date as ' ~ dbt.type_string() ~ ')',
    ]) }} as problem

from unconverted
group by 1, 2, 3
