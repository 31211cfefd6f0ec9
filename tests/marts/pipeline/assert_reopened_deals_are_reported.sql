-- Reports (as a warning) every move out of a closed stage: a reopened deal, which win
-- rates and cycle times count at its final close.
{{ config(severity='warn') }}

select
    opportunity_id,
    stage_interval_id,
    stage_name as closed_stage,
    next_stage_name as reopened_into,
    exited_at as reopened_at

from {{ ref('fct_stage_intervals') }}
where is_reopening
