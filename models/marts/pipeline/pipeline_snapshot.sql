{#-
    The open pipeline as it stood at the end of each month before as_of, per rep who owned
    the deals then and stage (see int_pipeline_month_end_positions).
-#}
with

positions as (

    select * from {{ ref('int_pipeline_month_end_positions') }}

),

final as (

    select
        {{ row_key(['snapshot_date', 'rep_id', 'stage_name']) }} as pipeline_snapshot_id,
        snapshot_date,
        rep_id,
        stage_name,
        min(stage_order) as stage_order,
        count(*) as open_opportunities,
        cast(coalesce(sum(amount), 0) as {{ dbt.type_numeric() }}) as open_amount,
        cast(coalesce(sum(amount * probability / 100), 0) as {{ dbt.type_numeric() }})
            as weighted_amount

    from positions
    group by 1, 2, 3, 4

)

select
    *,
    {{ build_columns() }}
from final
