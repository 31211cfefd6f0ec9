{#- Custom fields carried through (var opportunity_pass_through_columns) come last. dbt
    checks a contract against the columns the YAML lists, and those fields are known only
    from a var: with any configured, the declared columns are built as before and the
    contract is not enforced. -#}
{{ config(contract={'enforced': pass_through_columns('opportunity') | length == 0}) }}

with

opportunities as (

    -- the deals the CRM held at as_of, each as it stood then
    select * from {{ ref('int_opportunities_as_of') }}

),

stages as (

    select * from {{ ref('stg_config__stages') }}

),

line_items as (

    select * from {{ ref('int_opportunity_line_items_attached') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

activities as (

    select * from {{ ref('fct_activities') }}
    where is_counted

),

leads as (

    -- the leads converted into a deal by as_of
    select * from {{ ref('fct_leads') }}
    where converted_opportunity_id is not null

),

opportunity_types as (

    select * from {{ ref('stg_config__opportunity_types') }}

),

referral_sources as (

    select * from {{ ref('stg_config__referral_sources') }}

),

line_item_totals as (

    -- gross profit is price (in the corporate currency, at the deal's rate date) less
    -- standard cost (kept in the corporate currency); a product without a cost leaves it null
    select
        line_items.opportunity_id,
        sum(line_items.quantity) as units,
        sum(
            {{ in_corporate_currency('line_items.total_price', 'rates') }}
            - line_items.quantity * products.unit_cost
        ) as gross_profit

    from line_items
    inner join opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
    left join products
        on line_items.product_id = products.product_id
    {{ rate_on_join(
        'rates', 'coalesce(line_items.currency_code, opportunities.currency_code)',
        'opportunities.rate_date',
    ) }}
    group by 1

),

source_leads as (

    -- the lead a deal was converted from; where several leads were converted into one
    -- deal, the first one created started the sale
    select
        converted_opportunity_id as opportunity_id,
        min(created_at) as lead_created_at
    from leads
    group by 1

),

touched_deals as (

    -- the deals each counted activity is a sales touch of, in one pass over the activities:
    -- its own deal while that was open (a check-in after the close is account management,
    -- not selling it), and the deal its lead was converted into, up to the conversion (the
    -- first contact is usually with the lead)
    select
        case
            when not opportunities.is_closed or activities.activity_date <= opportunities.close_date
                then opportunities.opportunity_id
        end as deal_id,
        case
            when activities.activity_date <= leads.converted_date
                then leads.converted_opportunity_id
        end as lead_deal_id
    from activities
    left join opportunities
        on activities.opportunity_id = opportunities.opportunity_id
    left join leads
        on activities.lead_id = leads.lead_id
    where activities.opportunity_id is not null or activities.lead_id is not null

),

touches as (

    -- an activity that touched a deal both ways is one touch of it
    select deal_id as opportunity_id
    from touched_deals
    where deal_id is not null

    union all

    select lead_deal_id as opportunity_id
    from touched_deals
    where lead_deal_id is not null and (deal_id is null or lead_deal_id != deal_id)

),

touch_counts as (

    select
        opportunity_id,
        count(*) as activity_count
    from touches
    group by 1

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.rep_id,
        opportunities.creating_rep_id,
        opportunities.closing_rep_id,
        opportunities.account_id,

        -- strings
        opportunities.opportunity_name,
        stages.stage_name,
        stages.funnel_phase,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.forecast_category,
        coalesce(opportunity_types.deal_category, 'other') as deal_category,
        opportunities.currency_code,

        -- numerics
        opportunities.amount,
        opportunities.amount_in_currency,
        opportunities.conversion_rate,
        opportunities.probability,
        stages.stage_order,
        cast(line_item_totals.units as {{ dbt.type_numeric() }}) as units,
        cast(line_item_totals.gross_profit as {{ dbt.type_numeric() }}) as gross_profit,
        cast(case
            when opportunities.is_closed
                then {{ dbt.datediff(
                    'cast(opportunities.created_at as date)', 'opportunities.close_date', 'day',
                ) }}
        end as {{ dbt.type_int() }}) as days_to_close,
        -- the sales cycle as the buyer lived it: from the first contact as a lead
        cast(case
            when opportunities.is_closed
                then {{ dbt.datediff(
                    'cast(source_leads.lead_created_at as date)', 'opportunities.close_date', 'day',
                ) }}
        end as {{ dbt.type_int() }}) as days_lead_to_close,
        cast(coalesce(touch_counts.activity_count, 0) as {{ dbt.type_int() }}) as activity_count,
        -- every touch after the first one is a follow-up
        cast(case
            when touch_counts.activity_count > 1 then touch_counts.activity_count - 1
            else 0
        end as {{ dbt.type_int() }}) as follow_up_count,

        -- booleans
        opportunities.is_closed,
        opportunities.is_won,
        referral_sources.lead_source is not null as is_referral,

        -- dates
        opportunities.close_date,
        -- the month a closed deal counts in (won, lost, revenue, quota actuals); an open
        -- deal's is the month it is expected to close in
        cast({{ dbt.date_trunc('month', 'opportunities.close_date') }} as date) as close_month,
        cast(opportunities.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'opportunities.created_at') }} as date) as created_month,
        opportunities.rate_date,

        -- timestamps
        opportunities.created_at,
        opportunities.closed_at,
        source_leads.lead_created_at{% for column in pass_through_columns('opportunity') %},
        opportunities.{{ adapter.quote(column.alias) }}{% endfor %}

    from opportunities
    inner join stages
        on opportunities.stage_key = stages.stage_key
    left join line_item_totals
        on opportunities.opportunity_id = line_item_totals.opportunity_id
    left join touch_counts
        on opportunities.opportunity_id = touch_counts.opportunity_id
    left join source_leads
        on opportunities.opportunity_id = source_leads.opportunity_id
    left join opportunity_types
        on
            {{ match_key('opportunities.opportunity_type') }}
            = opportunity_types.opportunity_type_key
    left join referral_sources
        on {{ match_key('opportunities.lead_source') }} = referral_sources.lead_source_key

)

select
    *,
    {{ build_columns() }}
from final
