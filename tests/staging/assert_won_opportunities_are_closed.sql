-- Every won opportunity is also closed: is_won implies is_closed.
select
    opportunity_id,
    stage_name,
    is_closed,
    is_won
from {{ ref('stg_crm__opportunities') }}
where is_won and not is_closed
