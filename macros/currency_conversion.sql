{#-
    Money in the corporate currency (var corporate_currency).

    rate_on_join: the left join of int_currency_rates, as `alias`, to the rate of
    `currency` (null means the corporate currency) valid on `on_date`. No row joins where
    the CRM has no rate for that currency and day; the converted amount is then null and a
    data test names the currency and date, so an amount never silently counts as 1:1.

    in_corporate_currency: `amount` converted with that rate, to the cent (an amount
    already in the corporate currency is kept exactly as it is). The quotient is fixed at
    six decimals before it is rounded to cents: DuckDB divides decimals as doubles, and a
    double just below a half cent would round the other way than PostgreSQL's exact
    numeric does.
-#}
{% macro rate_on_join(alias, currency, on_date) -%}
    left join {{ ref('int_currency_rates') }} as {{ alias }}
        on
            {{ alias }}.currency_code = coalesce({{ currency }}, {{ corporate_currency() }})
            and ({{ alias }}.start_date is null or {{ alias }}.start_date <= {{ on_date }})
            and ({{ alias }}.valid_until is null or {{ on_date }} < {{ alias }}.valid_until)
{%- endmacro %}

{% macro in_corporate_currency(amount, alias) -%}
    cast(case
        when {{ alias }}.conversion_rate = 1 then {{ amount }}
        else round(cast({{ amount }} / {{ alias }}.conversion_rate as {{ dbt.type_numeric() }}), 2)
    end as {{ dbt.type_numeric() }})
{%- endmacro %}
