{#-
    Customer lifetime value by segment: the region of the rep who won the customer, the
    account's industry and its acquisition channel, crossed and each alone, against the
    cost of the reps who won those customers. A rep's loaded cost (as in rep_ltv, all time)
    is split evenly over the customers the rep acquired; a customer from before the CRM's
    history (channel 'existing customer') cost no rep anything here.
-#}
with

accounts as (

    select * from {{ ref('dim_accounts') }}
    where is_customer

),

reps as (

    select * from {{ ref('dim_reps') }}

),

rep_ltv as (

    select * from {{ ref('rep_ltv') }}
    where is_all_time

),

customers as (

    select
        reps.region,
        accounts.industry,
        accounts.acquisition_channel,
        accounts.lifetime_value,
        -- each customer's share fixed as a decimal, so that the segment sums are exact and
        -- the same in every build whatever order an engine adds them in
        cast(
            coalesce({{ safe_divide('rep_ltv.loaded_cost', 'rep_ltv.customers_acquired') }}, 0)
            as {{ dbt.type_numeric() }}
        ) as apportioned_cost
    from accounts
    left join reps
        on accounts.acquiring_rep_id = reps.rep_id
    left join rep_ltv
        on accounts.acquiring_rep_id = rep_ltv.rep_id

),

segmented as (

    -- the three crossed, then each alone (the others null)
    select
        'region, industry, acquisition_channel' as segment,
        region,
        industry,
        acquisition_channel,
        count(*) as customers,
        sum(lifetime_value) as total_ltv,
        sum(apportioned_cost) as loaded_cost
    from customers
    group by 2, 3, 4

    union all

    select
        'region' as segment,
        region,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as acquisition_channel,
        count(*) as customers,
        sum(lifetime_value) as total_ltv,
        sum(apportioned_cost) as loaded_cost
    from customers
    group by 2

    union all

    select
        'industry' as segment,
        cast(null as {{ dbt.type_string() }}) as region,
        industry,
        cast(null as {{ dbt.type_string() }}) as acquisition_channel,
        count(*) as customers,
        sum(lifetime_value) as total_ltv,
        sum(apportioned_cost) as loaded_cost
    from customers
    group by 3

    union all

    select
        'acquisition_channel' as segment,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as industry,
        acquisition_channel,
        count(*) as customers,
        sum(lifetime_value) as total_ltv,
        sum(apportioned_cost) as loaded_cost
    from customers
    group by 4

),

final as (

    select
        -- ids
        {{ row_key(['segment', 'region', 'industry', 'acquisition_channel']) }}
            as ltv_by_segment_id,

        -- strings
        segment,
        region,
        industry,
        acquisition_channel,

        -- numerics
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(total_ltv as {{ dbt.type_numeric() }}) as total_ltv,
        {{ safe_divide('total_ltv', 'customers') }} as avg_ltv,
        cast(loaded_cost as {{ dbt.type_numeric() }}) as loaded_cost,
        {{ safe_divide('total_ltv', 'loaded_cost') }} as ltv_to_cost_ratio

    from segmented

)

select
    *,
    {{ build_columns() }}
from final
