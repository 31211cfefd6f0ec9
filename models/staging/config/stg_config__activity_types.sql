with

activity_type_map as (

    select * from {{ ref('activity_type_map') }}

),

final as (

    select
        -- strings
        source_object,
        {{ match_key('raw_type') }} as raw_type_key,
        {{ match_key('raw_subtype') }} as raw_subtype_key,
        activity_type,

        -- numerics: a row naming the type beats one naming only the subtype, which beats
        -- the object's fallback row naming neither
        cast(
            case when raw_type is not null then 2 else 0 end
            + case when raw_subtype is not null then 1 else 0 end
            as {{ dbt.type_int() }}
        ) as match_priority,

        -- booleans
        is_sales_activity

    from activity_type_map

)

select * from final
