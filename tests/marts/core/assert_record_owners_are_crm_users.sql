-- Reports (as a warning) every user id that a deal, activity, lead, quota or manager field
-- names but the CRM's user table does not hold: its records count, for a rep nothing is
-- known of.
{{ config(severity='warn') }}

select rep_id
from {{ ref('dim_reps') }}
where not is_crm_user and rep_id != {{ unassigned_rep_id() }}
