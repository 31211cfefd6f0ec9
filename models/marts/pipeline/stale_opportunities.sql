with

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where not is_closed

),

current_stays as (

    select * from {{ ref('fct_stage_intervals') }}
    where is_current

),

stage_norms as (

    select * from {{ ref('stage_durations') }}
    where rep_id is null

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.rep_id,
        opportunities.account_id,

        -- strings
        current_stays.stage_name,

        -- numerics
        opportunities.amount,
        current_stays.days_in_stage,
        stage_norms.avg_days_in_stage as stage_avg_days_in_stage,
        {{ checked_var('stale_multiplier') }} * stage_norms.avg_days_in_stage as stale_after_days,

        -- timestamps
        current_stays.entered_at

    from opportunities
    inner join current_stays
        on opportunities.opportunity_id = current_stays.opportunity_id
    inner join stage_norms
        on current_stays.stage_name = stage_norms.stage_name
    where
        current_stays.days_in_stage
        > {{ checked_var('stale_multiplier') }} * stage_norms.avg_days_in_stage

)

select
    *,
    {{ build_columns() }}
from final
