with

accounts as (

    select * from {{ ref('dim_accounts') }}
    where is_customer

),

reps as (

    select * from {{ ref('dim_reps') }}

),

segmented as (

    -- the region is the sales region of the rep who won the customer
    select
        reps.region,
        accounts.industry,
        accounts.acquisition_channel,
        count(*) as customers,
        sum(accounts.lifetime_value) as total_ltv
    from accounts
    left join reps
        on accounts.acquiring_rep_id = reps.rep_id
    group by 1, 2, 3

),

final as (

    select
        -- ids
        {{ row_key(['region', 'industry', 'acquisition_channel']) }} as ltv_by_segment_id,

        -- strings
        region,
        industry,
        acquisition_channel,

        -- numerics
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(total_ltv as {{ dbt.type_numeric() }}) as total_ltv,
        {{ safe_divide('total_ltv', 'customers') }} as avg_ltv

    from segmented

)

select * from final
