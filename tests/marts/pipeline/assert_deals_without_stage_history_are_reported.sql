-- Reports (as a warning) every live deal with no stage history row by as_of in an org whose
-- connector lands history: its one stage stay runs from its creation in its current stage
-- (see int_opportunity_stage_stays), so its days in stage and conversion are read from
-- its current row, not from what happened. An org without any history is told so by the
-- missing-table notice instead.
{{ config(severity='warn') }}

with

stays as (

    select * from {{ ref('int_opportunity_stage_stays') }}

),

history as (

    select * from {{ ref('int_opportunity_histories_attached') }}

),

history_landed as (

    select count(*) > 0 as has_history from history

)

select
    stays.opportunity_id,
    stays.stage_name as current_stage,
    stays.entered_at as stay_from_created_at

from stays
cross join history_landed
where
    stays.entered_by_history_id is null
    and history_landed.has_history
