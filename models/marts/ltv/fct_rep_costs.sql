{#-
    What each rep cost per month, over the months the CRM's history covers: from its first
    month up to the month of as_of. A cost from before the CRM knew any deal bought nothing
    it can show, and a budgeted future month is not yet a cost. Only reps (dim_reps.is_rep):
    a manager's or executive's cost buys no customers of their own. rep_ltv sums these rows.
-#}
with

reps as (

    select * from {{ ref('dim_reps') }}
    where is_rep

),

rep_costs as (

    select * from {{ ref('stg_crm__rep_costs') }}

),

history_start as (

    select * from {{ ref('int_crm_history_start') }}

),

final as (

    select
        -- ids
        {{ row_key(['rep_costs.user_id', 'rep_costs.month_start']) }} as rep_cost_id,
        rep_costs.user_id as rep_id,

        -- numerics
        cast(rep_costs.loaded_cost as {{ dbt.type_numeric() }}) as loaded_cost,

        -- dates
        rep_costs.month_start

    from rep_costs
    inner join reps
        on rep_costs.user_id = reps.rep_id
    cross join history_start
    where
        rep_costs.month_start <= {{ as_of_date() }}
        and rep_costs.month_start >= history_start.first_month

)

select
    *,
    {{ build_columns() }}
from final
