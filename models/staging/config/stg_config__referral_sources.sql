with

referral_lead_sources as (

    select * from {{ ref('referral_lead_sources') }}

),

final as (

    select
        -- strings
        lead_source,
        {{ match_key('lead_source') }} as lead_source_key

    from referral_lead_sources

)

select * from final
