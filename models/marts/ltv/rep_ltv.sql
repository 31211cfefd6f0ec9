{#-
    What each rep's customers are worth against what the rep costs: per year of
    acquisition, and all time (the sum of the yearly rows). Only reps (dim_reps.is_rep):
    a manager's or executive's cost buys no customers of their own.
-#}
with

reps as (

    select * from {{ ref('dim_reps') }}
    where is_rep

),

accounts as (

    select * from {{ ref('dim_accounts') }}
    where is_customer and acquiring_rep_id is not null

),

rep_costs as (

    -- the rep's cost of each month from the first month of CRM history to the month of as_of
    select * from {{ ref('fct_rep_costs') }}

),

customers_by_year as (

    select
        acquiring_rep_id as rep_id,
        cast(extract(year from acquired_date) as {{ dbt.type_int() }}) as acquisition_year,
        count(*) as customers_acquired,
        sum(lifetime_value) as total_customer_ltv
    from accounts
    group by 1, 2

),

costs_by_year as (

    select
        rep_id,
        cast(extract(year from month_start) as {{ dbt.type_int() }}) as cost_year,
        sum(loaded_cost) as loaded_cost
    from rep_costs
    group by 1, 2

),

yearly as (

    select
        coalesce(customers_by_year.rep_id, costs_by_year.rep_id) as rep_id,
        coalesce(customers_by_year.acquisition_year, costs_by_year.cost_year) as year_number,
        coalesce(customers_by_year.customers_acquired, 0) as customers_acquired,
        coalesce(customers_by_year.total_customer_ltv, 0) as total_customer_ltv,
        coalesce(costs_by_year.loaded_cost, 0) as loaded_cost
    from customers_by_year
    full outer join costs_by_year
        on
            customers_by_year.rep_id = costs_by_year.rep_id
            and customers_by_year.acquisition_year = costs_by_year.cost_year

),

rep_years as (

    select yearly.*
    from yearly
    inner join reps
        on yearly.rep_id = reps.rep_id

),

all_time as (

    select
        rep_id,
        cast(null as {{ dbt.type_int() }}) as year_number,
        sum(customers_acquired) as customers_acquired,
        sum(total_customer_ltv) as total_customer_ltv,
        sum(loaded_cost) as loaded_cost
    from rep_years
    group by 1

),

stacked as (

    select * from rep_years
    union all
    select * from all_time

),

final as (

    select
        -- ids
        {{ row_key([
            'rep_id', "coalesce(cast(year_number as " ~ dbt.type_string() ~ "), 'all time')",
        ]) }} as rep_ltv_id,
        rep_id,

        -- numerics
        -- the metric spec names the column of yearly rows `year`
        year_number as year,  -- noqa: RF04
        cast(customers_acquired as {{ dbt.type_bigint() }}) as customers_acquired,
        cast(total_customer_ltv as {{ dbt.type_numeric() }}) as total_customer_ltv,
        {{ safe_divide('total_customer_ltv', 'customers_acquired') }} as avg_customer_ltv,
        cast(loaded_cost as {{ dbt.type_numeric() }}) as loaded_cost,
        {{ safe_divide('total_customer_ltv', 'loaded_cost') }} as ltv_to_cost_ratio,

        -- booleans
        year_number is null as is_all_time

    from stacked

)

select
    *,
    {{ build_columns() }}
from final
