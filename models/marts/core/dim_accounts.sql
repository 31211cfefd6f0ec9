{#- Custom fields carried through (var account_pass_through_columns) come last. dbt checks
    a contract against the columns the YAML lists, and those fields are known only from a
    var: with any configured, the declared columns are built as before and the contract is
    not enforced. -#}
{{ config(contract={'enforced': pass_through_columns('account') | length == 0}) }}

with

accounts as (

    -- the accounts the CRM held at as_of
    select *
    from {{ ref('stg_crm__accounts') }}
    where created_at is null or created_at <= {{ as_of_at() }}

),

won_deals as (

    select * from {{ ref('fct_opportunities') }}
    where is_won

),

ranked_wins as (

    -- the account's won deals in order (the earliest close date, ties to the smallest
    -- opportunity id), overall and among its new business
    select
        account_id,
        deal_category,
        close_date,
        closing_rep_id,
        lead_source,
        row_number() over (
            partition by account_id order by close_date, opportunity_id
        ) as win_number,
        row_number() over (
            partition by account_id, deal_category = 'new_business'
            order by close_date, opportunity_id
        ) as category_win_number
    from won_deals
    where account_id is not null

),

lifetime as (

    select
        account_id,
        sum(amount) as lifetime_value,
        count(*) as won_opportunities
    from won_deals
    where account_id is not null
    group by 1

),

final as (

    select
        -- ids
        accounts.account_id,
        accounts.owner_rep_id,
        -- the customer was won by the rep who closed its first new business deal, through
        -- that deal's lead source; when its first won deal was an upsell or renewal it was a
        -- customer before the CRM's history began, and no rep acquired it here
        case
            when first_wins.deal_category not in ('upsell', 'renewal')
                then first_new_business.closing_rep_id
        end as acquiring_rep_id,

        -- strings
        accounts.account_name,
        accounts.industry,
        accounts.billing_country,
        accounts.account_type,
        case
            when first_wins.deal_category in ('upsell', 'renewal') then 'existing customer'
            else first_new_business.lead_source
        end as acquisition_channel,
        first_wins.deal_category as first_won_deal_category,

        -- numerics
        cast(coalesce(lifetime.lifetime_value, 0) as {{ dbt.type_numeric() }}) as lifetime_value,
        coalesce(lifetime.won_opportunities, 0) as won_opportunities,

        -- booleans
        first_wins.account_id is not null as is_customer,

        -- dates
        first_wins.close_date as first_won_date,
        -- the day the acquiring rep won the customer: the close of its first new business deal
        case
            when first_wins.deal_category not in ('upsell', 'renewal')
                then first_new_business.close_date
        end as acquired_date{% for column in pass_through_columns('account') %},
        accounts.{{ adapter.quote(column.alias) }}{% endfor %}

    from accounts
    left join ranked_wins as first_wins
        on
            accounts.account_id = first_wins.account_id
            and first_wins.win_number = 1
    left join ranked_wins as first_new_business
        on
            accounts.account_id = first_new_business.account_id
            and first_new_business.deal_category = 'new_business'
            and first_new_business.category_win_number = 1
    left join lifetime
        on accounts.account_id = lifetime.account_id

)

select
    *,
    {{ build_columns() }}
from final
