with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

activities as (

    select * from {{ ref('fct_activities') }}

),

referral_sources as (

    select * from {{ ref('stg_config__referral_sources') }}

),

leads_to_date as (

    -- the leads the CRM held at as_of; one converted after as_of's day is not converted yet
    select
        *,
        coalesce(is_converted, false)
        and (
            converted_date is null
            or converted_date <= {{ as_of_date() }}
        ) as is_converted_by_as_of
    from leads
    where created_at <= {{ as_of_at() }}

),

first_responses as (

    -- the owner's first completed sales activity on the lead from its creation on; a
    -- colleague's call is not the owner's response
    select
        leads_to_date.lead_id,
        min(activities.activity_at) as first_response_at
    from leads_to_date
    inner join activities
        on
            leads_to_date.lead_id = activities.lead_id
            and leads_to_date.rep_id = activities.rep_id
            and leads_to_date.created_at <= activities.activity_at
    where activities.is_counted
    group by 1

),

final as (

    select
        -- ids
        leads_to_date.lead_id,
        leads_to_date.rep_id,
        case
            when leads_to_date.is_converted_by_as_of then leads_to_date.converted_opportunity_id
        end as converted_opportunity_id,
        case
            when leads_to_date.is_converted_by_as_of then leads_to_date.converted_account_id
        end as converted_account_id,

        -- strings
        leads_to_date.lead_status,
        leads_to_date.lead_source,

        -- numerics
        cast({{ dbt.datediff(
            'leads_to_date.created_at', 'first_responses.first_response_at', 'second',
        ) }} as {{ dbt.type_bigint() }}) as response_seconds,
        cast({{ dbt.datediff(
            'leads_to_date.created_at', 'first_responses.first_response_at', 'second',
        ) }} as {{ type_double() }}) / 60 as response_minutes,

        -- booleans
        leads_to_date.is_converted_by_as_of as is_converted,
        referral_sources.lead_source is not null as is_referral,
        first_responses.first_response_at is not null as is_responded,

        -- dates
        cast(leads_to_date.created_at as date) as created_date,
        case when leads_to_date.is_converted_by_as_of then leads_to_date.converted_date end
            as converted_date,

        -- timestamps
        leads_to_date.created_at,
        first_responses.first_response_at

    from leads_to_date
    left join first_responses
        on leads_to_date.lead_id = first_responses.lead_id
    left join referral_sources
        on {{ match_key('leads_to_date.lead_source') }} = referral_sources.lead_source_key

)

select
    *,
    {{ build_columns() }}
from final
