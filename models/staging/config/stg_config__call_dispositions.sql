with

call_dispositions as (

    select * from {{ ref('call_dispositions') }}

),

final as (

    select
        -- strings
        call_disposition,
        {{ match_key('call_disposition') }} as call_disposition_key,

        -- booleans
        is_conversation

    from call_dispositions

)

select * from final
