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

    -- the account's first won deal: the earliest close date, ties to the smallest
    -- opportunity id. When it is new business, the rep who closed it acquired the customer
    -- through its lead source; an upsell or renewal first means the account was a customer
    -- before the CRM's history began, and no rep acquired it here
    select
        account_id,
        deal_category,
        close_date,
        case when deal_category = 'new_business' then closing_rep_id end as rep_id,
        case
            when deal_category = 'new_business' then lead_source else 'existing customer'
        end as lead_source,
        row_number() over (
            partition by account_id order by close_date, opportunity_id
        ) as win_number
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
        first_wins.rep_id as acquiring_rep_id,

        -- strings
        accounts.account_name,
        accounts.industry,
        accounts.billing_country,
        accounts.account_type,
        first_wins.lead_source as acquisition_channel,
        first_wins.deal_category as first_won_deal_category,

        -- numerics
        cast(coalesce(lifetime.lifetime_value, 0) as {{ dbt.type_numeric() }}) as lifetime_value,
        coalesce(lifetime.won_opportunities, 0) as won_opportunities,

        -- booleans
        first_wins.account_id is not null as is_customer,

        -- dates
        first_wins.close_date as first_won_date{% for column in pass_through_columns('account') %},
        accounts.{{ adapter.quote(column.alias) }}{% endfor %}

    from accounts
    left join ranked_wins as first_wins
        on
            accounts.account_id = first_wins.account_id
            and first_wins.win_number = 1
    left join lifetime
        on accounts.account_id = lifetime.account_id

)

select * from final
