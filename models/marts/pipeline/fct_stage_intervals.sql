with

stays as (

    select * from {{ ref('int_opportunity_stage_stays') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_as_of') }}

),

final as (

    select
        -- ids
        {{ row_key(['stays.opportunity_id', 'stays.stay_number']) }} as stage_interval_id,
        stays.opportunity_id,
        -- the owner when the stay began
        {{ credited_rep_id('owner_then', 'stays.entered_at') }} as rep_id,

        -- strings
        stays.stage_name,
        stays.next_stage_name,

        -- numerics
        stays.stay_number,
        stays.stage_order,
        stays.seconds_in_stage,
        cast(stays.days_in_stage as {{ type_double() }}) as days_in_stage,

        -- booleans
        stays.is_current,
        stays.is_closed_stage,
        stays.is_closed_stage and stays.next_stage_name is not null as is_reopening,

        -- timestamps
        stays.entered_at,
        stays.exited_at

    from stays
    inner join opportunities
        on stays.opportunity_id = opportunities.opportunity_id
    {{ owner_at_join('owner_then', 'stays.opportunity_id', 'stays.entered_at') }}

)

select
    *,
    {{ build_columns() }}
from final
