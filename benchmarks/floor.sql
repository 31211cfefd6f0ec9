-- The floor: six marts of the project (fct_stage_intervals, stage_durations,
-- rep_win_rate_monthly, rep_activity_monthly, pipeline_snapshot, quota_attainment) written
-- by hand as plain DuckDB SQL, to measure how far the dbt build is from the fastest
-- reasonable implementation of the same definitions (metrics.md, raw_crm.md). The
-- results land in schema floor; run by benchmarks/floor.py, which sets the variables:
--
--   as_of                  timestamp, UTC: the moment the CRM is read at
--   reporting_timezone     'UTC' by default; timestamps become dates in this zone
--   corporate_currency     'USD'
--   calendar_start_date    date, first day of the calendar (2015-01-01)
--   forecast_uplift        0.30
--   completed_task_statuses  list of statuses, matched ignoring case and spaces
--   seed_dir, stage_catalogue  where the seed CSVs are, and which stage catalogue
--
-- Cleaning kept from staging: every raw table is deduplicated (the newest version of an
-- id by last_modified_date, then _loaded_at, then _source_row), soft deletes are applied
-- to the newest version, the row-level quarantine rules that can fire on typed data are
-- applied (missing ids and owners, stage not in the catalogue, negative amounts, missing
-- timestamps, unknown quota scope/period/type), children leave with a deal that is not
-- live, amounts are converted at the dated rate, timestamps are moved to the reporting
-- zone, and everything is read as of as_of.
--
-- Input assumed clean (as `salesperf generate` writes it without --dirty):
--   * raw columns are typed as the generator writes them (timestamps, dates, decimals,
--     booleans): values are cast directly, never parsed from text, so text that does not
--     parse is not quarantined here;
--   * ids and picklist values carry no stray spaces or empty strings (no trim/nullif);
--     stage names, opportunity types, activity types, statuses, call types and
--     dispositions are matched ignoring case and spaces but not tabs or newlines;
--   * the raw tables carry the loader's _loaded_at and _source_row (no hash ordering of
--     rows an EL tool landed without them), and no Fivetran columns (no history mode, no
--     _fivetran_deleted);
--   * every table the marts read exists (no missing-table fallbacks), and every column;
--   * var values are valid (no validation).

-- timestamps from raw are UTC; dates are taken on the reporting calendar
create or replace temp macro rt(ts) as
    case
        when getvariable('reporting_timezone') = 'UTC' then ts
        else timezone(getvariable('reporting_timezone'), timezone('UTC', ts))
    end;

-- to the cent at the rate of the day; an amount already in the corporate currency as is
create or replace temp macro in_corporate(amount, rate) as
    cast(case
        when rate = 1 then amount
        else round(cast(amount / rate as decimal(28, 6)), 2)
    end as decimal(28, 6));

-- the owner at a moment, or 'unassigned' when they were hired after it
create or replace temp macro credited(owner_id, hired_at, at_time) as
    case
        when owner_id is null then null
        when hired_at is null or hired_at <= at_time then owner_id
        else 'unassigned'
    end;

create or replace temp macro match_key(text_value) as lower(replace(text_value, ' ', ''));

set variable as_of_at = rt(getvariable('as_of'));
set variable as_of_date = cast(getvariable('as_of_at') as date);

create schema if not exists floor;

-- configuration (seeds) -------------------------------------------------------------------

create or replace temp table stages as
select
    stage_name,
    match_key(stage_name) as stage_key,
    cast(stage_order as integer) as stage_order,
    is_closed,
    is_won,
    cast(default_probability as integer) as default_probability
from read_csv(getvariable('seed_dir') || '/' || getvariable('stage_catalogue') || '.csv');

create or replace temp table deal_categories as
select match_key(opportunity_type) as type_key, deal_category
from read_csv(getvariable('seed_dir') || '/opportunity_types.csv');

create or replace temp table activity_map as
select
    source_object,
    match_key(raw_type) as type_key,
    match_key(raw_subtype) as subtype_key,
    activity_type,
    is_sales_activity,
    (case when raw_type is not null then 2 else 0 end)
    + (case when raw_subtype is not null then 1 else 0 end) as priority
from read_csv(getvariable('seed_dir') || '/activity_type_map.csv', all_varchar = true,
    columns = {'source_object': 'varchar', 'raw_type': 'varchar', 'raw_subtype': 'varchar',
        'activity_type': 'varchar', 'is_sales_activity': 'boolean'});

create or replace temp table conversations as
select match_key(call_disposition) as disposition_key, is_conversation
from read_csv(getvariable('seed_dir') || '/call_dispositions.csv');

create or replace temp table days as
select
    cast(d as date) as date_day,
    cast(date_trunc('month', d) as date) as month_start,
    isodow(d) <= 5 and h.holiday_date is null as is_working_day
from range(
    getvariable('calendar_start_date'),
    cast(cast(getvariable('as_of') as date) + interval 2 year as date),
    interval 1 day
) as r(d)
left join read_csv(getvariable('seed_dir') || '/holidays.csv') as h
    on cast(r.d as date) = h.holiday_date;

create or replace temp table months as
select
    month_start,
    max(date_day) as month_end,
    count(*) filter (where is_working_day) as working_days,
    count(*) filter (where is_working_day and cast(date_day as timestamp) < getvariable('as_of_at'))
        as working_days_elapsed
from days
group by 1;

-- rates: a rate holds from its start until the next of its currency (or its own end)
create or replace temp table rates as
with newest as (
    select id, upper(iso_code) as currency_code, start_date, next_start_date, conversion_rate
    from raw.dated_conversion_rate
    where id is not null
    qualify row_number() over (partition by id order by _loaded_at desc, _source_row desc) = 1
)

select
    currency_code,
    start_date,
    case
        when lead(start_date) over w is null then next_start_date
        when next_start_date is null or lead(start_date) over w < next_start_date
            then lead(start_date) over w
        else next_start_date
    end as valid_until,
    cast(conversion_rate as decimal(28, 6)) as conversion_rate
from newest
where
    currency_code is not null and start_date is not null and conversion_rate > 0
    and (next_start_date is null or next_start_date > start_date)
    and currency_code != getvariable('corporate_currency')
window w as (partition by currency_code order by start_date, id);

-- the rate found by an asof join on (currency, start_date <= day): 1 for the corporate
-- currency, null where no rate of the currency covers the day
create or replace temp macro rate_on(currency, on_day, found_rate, found_until) as
    case
        when currency = getvariable('corporate_currency') then cast(1 as decimal(28, 6))
        when found_until is null or on_day < found_until then found_rate
    end;

-- records --------------------------------------------------------------------------------

create or replace temp table users as
select id as user_id, manager_id, rt(created_date) as created_at, coalesce(is_active, false) as is_active
from raw."user"
where id is not null
qualify row_number() over (
    partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
) = 1;

create or replace temp table opportunities as
select o.* exclude (is_deleted, stage_name), s.stage_name, s.stage_order, s.is_closed as is_closed_stage
from (
    select
        id as opportunity_id,
        owner_id,
        account_id,
        stage_name,
        match_key(stage_name) as stage_key,
        cast(amount as decimal(28, 6)) as amount,
        cast(probability as decimal(28, 6)) as probability,
        close_date,
        rt(created_date) as created_at,
        is_closed,
        is_won,
        match_key(type) as type_key,
        upper(currency_iso_code) as currency_code,
        coalesce(is_deleted, false) as is_deleted
    from raw.opportunity
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
) as o
inner join stages as s on o.stage_key = s.stage_key
where not o.is_deleted and (o.amount is null or o.amount >= 0) and o.created_at is not null;

-- stage changes of live deals, in the catalogue's names
create or replace temp table history as
select h.* exclude (is_deleted, stage_key), s.stage_name, s.stage_order, s.is_closed, s.is_won,
    s.default_probability
from (
    select
        id as history_id,
        opportunity_id,
        rt(created_date) as changed_at,
        match_key(stage_name) as stage_key,
        cast(amount as decimal(28, 6)) as amount,
        cast(probability as decimal(28, 6)) as probability,
        close_date,
        upper(currency_iso_code) as currency_code,
        coalesce(is_deleted, false) as is_deleted
    from raw.opportunity_history
    where id is not null
    qualify row_number() over (partition by id order by _loaded_at desc, _source_row desc) = 1
) as h
inner join stages as s on h.stage_key = s.stage_key
semi join opportunities as o on h.opportunity_id = o.opportunity_id
where not h.is_deleted and h.changed_at is not null and (h.amount is null or h.amount >= 0);

-- who owned each live deal when, from the id rows of its owner changes
create or replace temp table owner_periods as
with field_rows as (
    select id, opportunity_id, field, old_value, new_value, rt(created_date) as changed_at,
        coalesce(is_deleted, false) as is_deleted
    from raw.opportunity_field_history
    where id is not null
    qualify row_number() over (partition by id order by _loaded_at desc, _source_row desc) = 1
),

owner_changes as (
    select
        f.opportunity_id,
        f.old_value,
        f.new_value,
        f.changed_at,
        row_number() over w as change_number,
        lead(f.changed_at) over w as next_changed_at
    from field_rows as f
    semi join opportunities as o on f.opportunity_id = o.opportunity_id
    where
        not f.is_deleted and f.changed_at is not null
        and lower(f.field) in ('owner', 'ownerid', 'owner_id')
        and f.new_value like '005%' and length(f.new_value) in (15, 18)
        and f.new_value not like '% %'
    window w as (partition by f.opportunity_id order by f.changed_at, f.id)
),

periods as (
    select opportunity_id, old_value as owner_id, null::timestamp as owned_from,
        changed_at as owned_until
    from owner_changes where change_number = 1
    union all
    select opportunity_id, new_value, changed_at, next_changed_at
    from owner_changes
    union all
    select opportunity_id, owner_id, null, null
    from opportunities as o
    anti join owner_changes as c on o.opportunity_id = c.opportunity_id
)

select p.*, u.created_at as hired_at
from periods as p
left join users as u on p.owner_id = u.user_id;

-- stays in stages, from history up to as_of (a deal without any: its current stage since
-- its creation)
create or replace temp table stays as
with ordered as (
    select
        *,
        lag(stage_name) over w as previous_stage_name,
        row_number() over w as change_number
    from history
    where changed_at <= getvariable('as_of_at')
    window w as (partition by opportunity_id order by changed_at, history_id)
),

starts as (
    select
        opportunity_id,
        row_number() over w as stay_number,
        stage_name,
        stage_order,
        is_closed as is_closed_stage,
        lead(stage_name) over w as next_stage_name,
        changed_at as entered_at,
        lead(changed_at) over w as exited_at
    from ordered
    where previous_stage_name is null or previous_stage_name != stage_name
    window w as (partition by opportunity_id order by change_number)
),

all_stays as (
    select * from starts
    union all
    select o.opportunity_id, 1, o.stage_name, o.stage_order, o.is_closed_stage, null, o.created_at, null
    from opportunities as o
    anti join ordered as h on o.opportunity_id = h.opportunity_id
    where o.created_at <= getvariable('as_of_at')
)

select
    *,
    exited_at is null as is_current,
    date_diff('second', entered_at, coalesce(exited_at, getvariable('as_of_at'))) as seconds_in_stage
from all_stays;

-- each deal as it stood at as_of, credited to its owners at creation, close and as_of
create or replace temp table deals as
with last_changes as (
    select *
    from history
    where changed_at <= getvariable('as_of_at')
    qualify row_number() over (
        partition by opportunity_id order by changed_at desc, history_id desc
    ) = 1
),

states as (
    select
        o.opportunity_id,
        o.account_id,
        o.created_at,
        o.type_key,
        coalesce(c.stage_name, o.stage_name) as stage_name,
        case when c.opportunity_id is null then o.amount else c.amount end as amount_in_currency,
        case when c.opportunity_id is null then o.close_date else c.close_date end as close_date,
        coalesce(c.currency_code, o.currency_code, getvariable('corporate_currency')) as currency_code,
        case when c.opportunity_id is null then o.is_closed else c.is_closed end as is_closed,
        case when c.opportunity_id is null then o.is_won else c.is_won end as is_won
    from opportunities as o
    left join last_changes as c on o.opportunity_id = c.opportunity_id
    where o.created_at <= getvariable('as_of_at')
),

timed as (
    select
        s.*,
        case
            when s.is_closed then coalesce(cs.entered_at, cast(s.close_date as timestamp))
        end as closed_at,
        case when s.is_closed then s.close_date else getvariable('as_of_date') end as rate_date
    from states as s
    left join stays as cs
        on s.opportunity_id = cs.opportunity_id and cs.is_current and cs.is_closed_stage
)

select
    t.*,
    in_corporate(
        t.amount_in_currency, rate_on(t.currency_code, t.rate_date, r.conversion_rate, r.valid_until)
    ) as amount,
    coalesce(dc.deal_category, 'other') as deal_category,
    credited(now_owner.owner_id, now_owner.hired_at, getvariable('as_of_at')) as rep_id,
    credited(creator.owner_id, creator.hired_at, t.created_at) as creating_rep_id,
    case when t.is_closed then credited(closer.owner_id, closer.hired_at, t.closed_at) end
        as closing_rep_id
from timed as t
asof left join rates as r on t.currency_code = r.currency_code and t.rate_date >= r.start_date
left join deal_categories as dc on t.type_key = dc.type_key
left join owner_periods as now_owner
    on
        t.opportunity_id = now_owner.opportunity_id
        and (now_owner.owned_from is null or now_owner.owned_from <= getvariable('as_of_at'))
        and (now_owner.owned_until is null or getvariable('as_of_at') < now_owner.owned_until)
left join owner_periods as creator
    on
        t.opportunity_id = creator.opportunity_id
        and (creator.owned_from is null or creator.owned_from <= t.created_at)
        and (creator.owned_until is null or t.created_at < creator.owned_until)
left join owner_periods as closer
    on
        t.opportunity_id = closer.opportunity_id
        and (closer.owned_from is null or closer.owned_from <= t.closed_at)
        and (closer.owned_until is null or t.closed_at < closer.owned_until);

create or replace temp table leads as
select
    id as lead_id,
    owner_id,
    rt(created_date) as created_at,
    case
        when coalesce(is_converted, false)
            and (converted_date is null or converted_date <= getvariable('as_of_date'))
            then converted_opportunity_id
    end as converted_opportunity_id,
    coalesce(is_deleted, false) as is_deleted
from raw.lead
where id is not null
qualify row_number() over (
    partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
) = 1;
delete from leads where is_deleted;

-- activities: typed by the map (resolved once per distinct type and subtype), counted per
-- owner and month in one pass
create or replace temp table activity_kinds as
with kinds as (
    select distinct 'task' as source_object, type, task_subtype as subtype from raw.task
    union
    select distinct 'event', type, null from raw.event
)

select k.source_object, k.type, k.subtype, m.activity_type, m.is_sales_activity
from kinds as k
left join activity_map as m
    on
        k.source_object = m.source_object
        and (m.type_key is null or m.type_key = match_key(k.type))
        and (m.subtype_key is null or m.subtype_key = match_key(k.subtype))
qualify row_number() over (
    partition by k.source_object, k.type, k.subtype order by m.priority desc
) = 1;

create or replace temp table activity_months as
with tasks as (
    select
        owner_id,
        type,
        task_subtype,
        status,
        call_type,
        call_disposition,
        coalesce(activity_date, cast(rt(created_date) as date)) as activity_date,
        coalesce(rt(created_date), cast(activity_date as timestamp)) as activity_at,
        coalesce(is_deleted, false) as is_deleted
    from raw.task
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
),

events as (
    select
        owner_id,
        type,
        cast(coalesce(rt(start_date_time), rt(created_date)) as date) as activity_date,
        coalesce(rt(start_date_time), rt(created_date)) as activity_at,
        rt(created_date) as created_at,
        coalesce(is_deleted, false) as is_deleted
    from raw.event
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
),

typed as (
    select
        t.owner_id,
        t.activity_date,
        k.activity_type,
        coalesce(k.is_sales_activity, false)
        and t.activity_date <= getvariable('as_of_date')
        and (
            t.status is null
            or match_key(t.status) in (
                select match_key(unnest(getvariable('completed_task_statuses')))
            )
        ) as is_counted,
        k.activity_type = 'call' and coalesce(match_key(t.call_type) = 'outbound', false) as is_outbound,
        k.activity_type = 'call' and coalesce(c.is_conversation, false) as is_conversation
    from tasks as t
    left join activity_kinds as k
        on
            k.source_object = 'task'
            and t.type is not distinct from k.type
            and t.task_subtype is not distinct from k.subtype
    left join conversations as c on match_key(t.call_disposition) = c.disposition_key
    where not t.is_deleted and t.owner_id is not null and t.activity_at <= getvariable('as_of_at')

    union all

    select
        e.owner_id,
        e.activity_date,
        k.activity_type,
        coalesce(k.is_sales_activity, false) and e.activity_at <= getvariable('as_of_at'),
        false,
        false
    from events as e
    left join activity_kinds as k
        on k.source_object = 'event' and e.type is not distinct from k.type and k.subtype is null
    where
        not e.is_deleted and e.owner_id is not null
        and coalesce(e.created_at, e.activity_at) <= getvariable('as_of_at')
),

owned as (
    -- an activity dated before its owner's hire is unassigned
    select
        case
            when a.activity_date < cast(u.created_at as date) then 'unassigned' else a.owner_id
        end as rep_id,
        cast(date_trunc('month', a.activity_date) as date) as month_start,
        a.*
    from typed as a
    left join users as u on a.owner_id = u.user_id
)

select
    rep_id,
    month_start,
    count(*) filter (where is_counted and activity_type = 'call') as calls,
    count(*) filter (where is_counted and activity_type = 'email') as emails,
    count(*) filter (where is_counted and activity_type = 'meeting') as meetings,
    count(*) filter (where is_counted and activity_type = 'demo') as demos,
    count(*) filter (where is_counted) as sales_activities,
    count(*) filter (where is_counted and is_outbound) as outbound_calls,
    count(*) filter (where is_counted and is_outbound and is_conversation) as conversations,
    -- every recorded activity makes its owner a rep with a record that month
    min(activity_date) filter (where activity_date <= getvariable('as_of_date')) as first_date,
    max(activity_date) filter (where activity_date <= getvariable('as_of_date')) as last_date
from owned
group by 1, 2;

create or replace temp table quotas as
select
    id as quota_id,
    owner_id,
    lower(scope) as scope,
    lower(period_type) as period_type,
    lower(quota_type) as quota_type,
    lower(method) as quota_method,
    cast(target_value as decimal(28, 6)) as target_value,
    period_start,
    cast(period_start + case lower(period_type)
        when 'month' then interval 1 month
        when 'quarter' then interval 3 month
        else interval 1 year
    end as date) as period_end,
    coalesce(is_deleted, false) as is_deleted
from raw.quota
where id is not null
qualify row_number() over (
    partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
) = 1;
delete from quotas
where
    is_deleted or owner_id is null or period_start is null
    or period_type not in ('month', 'quarter', 'year') or period_type is null
    or scope not in ('rep', 'team') or scope is null
    or quota_type not in (
        'revenue', 'gross_profit', 'units', 'deals', 'new_customers', 'calls', 'emails', 'meetings',
        'demos'
    )
    or quota_type is null;

-- the first month the CRM has data for
create or replace temp table history_start as
select cast(date_trunc('month', min(d)) as date) as first_month
from (
    select first_date as d from activity_months
    union all
    select cast(created_at as date) from deals
    union all
    select close_date from deals where is_closed
    union all
    select cast(created_at as date) from leads
)
where d <= getvariable('as_of_date');

-- closed deals per closing rep and month, with line items and the source lead
create or replace temp table closed_monthly as
with line_items as (
    select
        opportunity_id,
        product_2_id,
        cast(quantity as decimal(28, 6)) as quantity,
        cast(total_price as decimal(28, 6)) as total_price,
        upper(currency_iso_code) as currency_code,
        coalesce(is_deleted, false) as is_deleted
    from raw.opportunity_line_item
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
),

products as (
    select id as product_id, cast(unit_cost_c as decimal(28, 6)) as unit_cost,
        coalesce(is_deleted, false) as is_deleted
    from raw.product_2
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
),

priced as (
    -- a line in the deal's currency unless it names its own, at the deal's rate date
    select
        li.opportunity_id,
        li.product_2_id,
        li.quantity,
        li.total_price,
        coalesce(li.currency_code, d.currency_code) as currency_code,
        d.rate_date
    from line_items as li
    inner join deals as d on li.opportunity_id = d.opportunity_id
    where not li.is_deleted and (li.total_price is null or li.total_price >= 0)
),

line_totals as (
    select
        li.opportunity_id,
        sum(li.quantity) as units,
        sum(
            in_corporate(
                li.total_price, rate_on(li.currency_code, li.rate_date, r.conversion_rate, r.valid_until)
            )
            - li.quantity * p.unit_cost
        ) as gross_profit
    from priced as li
    asof left join rates as r on li.currency_code = r.currency_code and li.rate_date >= r.start_date
    left join products as p
        on li.product_2_id = p.product_id and not p.is_deleted and coalesce(p.unit_cost >= 0, true)
    group by 1
),

source_leads as (
    select converted_opportunity_id as opportunity_id, min(created_at) as lead_created_at
    from leads
    where created_at <= getvariable('as_of_at') and converted_opportunity_id is not null
    group by 1
),

closed as (
    select
        d.*,
        lt.units,
        lt.gross_profit,
        date_diff('day', cast(d.created_at as date), d.close_date) as days_to_close,
        date_diff('day', cast(sl.lead_created_at as date), d.close_date) as days_lead_to_close
    from deals as d
    left join line_totals as lt on d.opportunity_id = lt.opportunity_id
    left join source_leads as sl on d.opportunity_id = sl.opportunity_id
    where d.is_closed
)

select
    closing_rep_id as rep_id,
    cast(date_trunc('month', close_date) as date) as month_start,
    count(*) filter (where is_won) as won,
    count(*) filter (where not is_won) as lost,
    coalesce(sum(amount) filter (where is_won), 0) as won_amount,
    coalesce(sum(amount) filter (where not is_won), 0) as lost_amount,
    coalesce(sum(gross_profit) filter (where is_won), 0) as won_gross_profit,
    coalesce(sum(units) filter (where is_won), 0) as won_units,
    count(*) filter (where is_won and deal_category = 'new_business') as new_business_won,
    avg(days_to_close) filter (where is_won) as avg_days_to_close_won,
    median(days_to_close) filter (where is_won) as median_days_to_close_won,
    avg(days_lead_to_close) filter (where is_won) as avg_days_lead_to_close_won,
    median(days_lead_to_close) filter (where is_won) as median_days_lead_to_close_won
from closed
group by 1, 2;

-- marts -----------------------------------------------------------------------------------

create or replace table floor.fct_stage_intervals as
select
    s.opportunity_id || '#' || s.stay_number as stage_interval_id,
    s.opportunity_id,
    credited(p.owner_id, p.hired_at, s.entered_at) as rep_id,
    s.stage_name,
    s.next_stage_name,
    s.stay_number,
    s.stage_order,
    s.seconds_in_stage,
    s.seconds_in_stage / 86400.0 as days_in_stage,
    s.is_current,
    s.is_closed_stage,
    s.is_closed_stage and s.next_stage_name is not null as is_reopening,
    s.entered_at,
    s.exited_at
from stays as s
semi join deals as d on s.opportunity_id = d.opportunity_id
left join owner_periods as p
    on
        s.opportunity_id = p.opportunity_id
        and (p.owned_from is null or p.owned_from <= s.entered_at)
        and (p.owned_until is null or s.entered_at < p.owned_until);

create or replace table floor.stage_durations as
select
    coalesce(rep_id, 'all reps') || '#' || stage_name as stage_durations_id,
    rep_id,
    stage_name,
    min(stage_order) as stage_order,
    count(*) as stays,
    cast(sum(seconds_in_stage) as double) / nullif(count(*) * 86400, 0) as avg_days_in_stage,
    median(days_in_stage) as median_days_in_stage
from floor.fct_stage_intervals
where exited_at is not null
group by grouping sets ((rep_id, stage_name), (stage_name))
-- a stay of a deal without an owner counts in the all-reps row only
having rep_id is not null or grouping(rep_id) = 1;

create or replace table floor.rep_win_rate_monthly as
select
    coalesce(rep_id, '') || '#' || coalesce(cast(month_start as varchar), '') as rep_win_rate_monthly_id,
    rep_id,
    month_start,
    won,
    lost,
    cast(won_amount as decimal(28, 6)) as won_amount,
    cast(lost_amount as decimal(28, 6)) as lost_amount,
    avg_days_to_close_won,
    median_days_to_close_won,
    avg_days_lead_to_close_won,
    median_days_lead_to_close_won,
    cast(won_amount as double) / nullif(won, 0) as avg_won_deal_size,
    cast(won as double) / nullif(won + lost, 0) as win_rate,
    cast(won_amount as double) / nullif(won_amount + lost_amount, 0) as amount_win_rate
from closed_monthly;

create or replace table floor.rep_activity_monthly as
with created as (
    select
        creating_rep_id as rep_id,
        cast(date_trunc('month', created_at) as date) as month_start,
        count(*) as opportunities_created,
        count(*) filter (where deal_category = 'new_business') as new_business_opportunities_created
    from deals
    group by 1, 2
),

records as (
    -- every record that makes a user a rep, by date
    select rep_id, first_date as first_date, last_date from activity_months
    union all
    select creating_rep_id, cast(created_at as date), cast(created_at as date) from deals
    union all
    select closing_rep_id, close_date, close_date from deals where is_closed
    union all
    select owner_id, cast(created_at as date), cast(created_at as date) from leads
    union all
    select owner_id, period_start, period_start from quotas where scope = 'rep'
),

tenure as (
    select
        r.rep_id,
        greatest(
            cast(date_trunc('month', coalesce(cast(u.created_at as date), min(r.first_date))) as date),
            (select first_month from history_start),
            getvariable('calendar_start_date')
        ) as first_month,
        cast(date_trunc('month', case
            when coalesce(u.is_active, false) then getvariable('as_of_date') else max(r.last_date)
        end) as date) as last_month
    from records as r
    left join users as u
        on r.rep_id = u.user_id and coalesce(u.created_at <= getvariable('as_of_at'), true)
    where r.rep_id is not null and r.first_date <= getvariable('as_of_date')
    group by r.rep_id, u.created_at, u.is_active
),

spine as (
    select t.rep_id, cast(m as date) as month_start
    from tenure as t, range(t.first_month, t.last_month + interval 1 day, interval 1 month) as r(m)
),

counted as (
    select
        s.rep_id,
        s.month_start,
        m.working_days_elapsed as working_days,
        coalesce(a.calls, 0) as calls,
        coalesce(a.emails, 0) as emails,
        coalesce(a.meetings, 0) as meetings,
        coalesce(a.demos, 0) as demos,
        coalesce(a.sales_activities, 0) as sales_activities,
        coalesce(a.outbound_calls, 0) as outbound_calls,
        coalesce(a.conversations, 0) as conversations,
        coalesce(c.opportunities_created, 0) as opportunities_created,
        coalesce(c.new_business_opportunities_created, 0) as new_business_opportunities_created
    from spine as s
    inner join months as m on s.month_start = m.month_start
    left join activity_months as a on s.rep_id = a.rep_id and s.month_start = a.month_start
    left join created as c on s.rep_id = c.rep_id and s.month_start = c.month_start
)

select
    rep_id || '#' || cast(month_start as varchar) as rep_activity_monthly_id,
    rep_id,
    month_start,
    calls,
    emails,
    meetings,
    demos,
    sales_activities,
    cast(working_days as integer) as working_days,
    cast(sales_activities as double) / nullif(working_days, 0) as activities_per_working_day,
    outbound_calls,
    conversations,
    cast(conversations as double) / nullif(outbound_calls, 0) as contact_rate,
    opportunities_created,
    new_business_opportunities_created,
    cast(new_business_opportunities_created * 1000 as double) / nullif(outbound_calls, 0)
        as opportunities_per_1000_calls
from counted;

-- each open history row held from its change to the next: the month-ends it spans
create or replace table floor.pipeline_snapshot as
with snapshots as (
    select month_end as snapshot_date, cast(month_end + interval 1 day as timestamp) as snapshot_at
    from months
    where
        month_start >= (select cast(date_trunc('month', min(created_at)) as date) from deals)
        and month_end < getvariable('as_of_date')
),

validity as (
    select
        *,
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as valid_to
    from history
),

positions as (
    select
        v.opportunity_id,
        cast(r.snapshot_at as timestamp) as snapshot_at,
        v.stage_name,
        v.stage_order,
        v.amount,
        coalesce(v.currency_code, d.currency_code) as currency_code,
        coalesce(v.probability, v.default_probability) as probability
    from validity as v
    inner join deals as d on v.opportunity_id = d.opportunity_id,
        range(
            date_trunc('month', v.changed_at) + interval 1 month,
            least(coalesce(v.valid_to, getvariable('as_of_at')), getvariable('as_of_at'))
                + interval 1 microsecond,
            interval 1 month
        ) as r(snapshot_at)
    where not v.is_closed
),

placed as (
    select
        s.snapshot_date,
        credited(o.owner_id, o.hired_at, p.snapshot_at) as rep_id,
        p.stage_name,
        p.stage_order,
        in_corporate(p.amount, rate_on(p.currency_code, s.snapshot_date, r.conversion_rate, r.valid_until))
            as amount,
        p.probability
    from positions as p
    inner join snapshots as s on p.snapshot_at = s.snapshot_at
    asof left join rates as r on p.currency_code = r.currency_code and s.snapshot_date >= r.start_date
    left join owner_periods as o
        on
            p.opportunity_id = o.opportunity_id
            and (o.owned_from is null or o.owned_from <= p.snapshot_at)
            and (o.owned_until is null or p.snapshot_at < o.owned_until)
)

select
    cast(snapshot_date as varchar) || '#' || coalesce(rep_id, '') || '#' || stage_name
        as pipeline_snapshot_id,
    snapshot_date,
    rep_id,
    stage_name,
    min(stage_order) as stage_order,
    count(*) as open_opportunities,
    cast(coalesce(sum(amount), 0) as decimal(28, 6)) as open_amount,
    cast(coalesce(sum(amount * probability / 100), 0) as decimal(28, 6)) as weighted_amount
from placed
group by 2, 3, 4;

create or replace table floor.quota_attainment as
with accounts as (
    select id as account_id, rt(created_date) as created_at, coalesce(is_deleted, false) as is_deleted
    from raw.account
    where id is not null
    qualify row_number() over (
        partition by id order by last_modified_date desc nulls last, _loaded_at desc, _source_row desc
    ) = 1
),

first_wins as (
    -- each account's first won deal, and its first won new-business deal
    select
        account_id,
        arg_min(deal_category, (close_date, opportunity_id)) as first_category,
        -- a struct, never null, so that a null rep or date is still the first deal's
        arg_min({'rep_id': closing_rep_id, 'close_date': close_date}, (close_date, opportunity_id))
            filter (where deal_category = 'new_business') as first_new_business
    from deals
    where is_won and account_id is not null
    group by 1
),

rep_month_actuals as (
    select rep_id, month_start, 'revenue' as quota_type, won_amount as actual_value from closed_monthly
    union all
    select rep_id, month_start, 'gross_profit', won_gross_profit from closed_monthly
    union all
    select rep_id, month_start, 'units', won_units from closed_monthly
    union all
    select rep_id, month_start, 'deals', new_business_won from closed_monthly
    union all
    select
        f.first_new_business.rep_id,
        cast(date_trunc('month', f.first_new_business.close_date) as date),
        'new_customers',
        count(*)
    from first_wins as f
    inner join accounts as a on f.account_id = a.account_id
    where
        not a.is_deleted and coalesce(a.created_at <= getvariable('as_of_at'), true)
        and f.first_category not in ('upsell', 'renewal') and f.first_new_business.rep_id is not null
    group by 1, 2
    union all
    select rep_id, month_start, unnest(['calls', 'emails', 'meetings', 'demos']),
        unnest([calls, emails, meetings, demos])
    from activity_months
),

members as (
    select quota_id, owner_id as rep_id from quotas where scope = 'rep'
    union all
    select q.quota_id, u.user_id
    from quotas as q
    inner join users as u on q.owner_id = u.manager_id
    where q.scope = 'team' and coalesce(u.created_at <= getvariable('as_of_at'), true)
),

actuals as (
    select
        m.quota_id,
        sum(a.actual_value) filter (where a.month_start >= q.period_start) as actual_value,
        sum(a.actual_value) filter (where a.month_start < q.period_start) as last_year_actual_value
    from members as m
    inner join quotas as q on m.quota_id = q.quota_id
    inner join rep_month_actuals as a
        on
            m.rep_id = a.rep_id and q.quota_type = a.quota_type
            and (
                (a.month_start >= q.period_start and a.month_start < q.period_end)
                or (
                    a.month_start >= q.period_start - interval 1 year
                    and a.month_start < q.period_end - interval 1 year
                )
            )
    group by 1
),

open_pipeline as (
    select
        m.quota_id,
        sum(d.amount) filter (where d.close_date >= getvariable('as_of_date')) as open_amount_due,
        sum(d.amount) filter (where d.close_date < getvariable('as_of_date')) as overdue_open_amount
    from members as m
    inner join quotas as q on m.quota_id = q.quota_id
    inner join deals as d on m.rep_id = d.rep_id and d.close_date < q.period_end
    where not d.is_closed
    group by 1
),

working_days as (
    select
        q.quota_id,
        sum(mo.working_days) as working_days_total,
        sum(mo.working_days_elapsed) as working_days_elapsed
    from quotas as q
    inner join months as mo on mo.month_start >= q.period_start and mo.month_start < q.period_end
    group by 1
),

measured as (
    select
        q.*,
        case
            when q.target_value is not null then q.target_value
            when
                q.quota_method = 'forecast'
                and q.period_start - interval 1 year >= (select first_month from history_start)
                and a.last_year_actual_value > 0
                then a.last_year_actual_value * (1 + getvariable('forecast_uplift'))
        end as derived_target,
        coalesce(a.last_year_actual_value, 0) as last_year_actual_value,
        coalesce(a.actual_value, 0) as actual_value,
        coalesce(p.open_amount_due, 0) as open_amount_due,
        coalesce(p.overdue_open_amount, 0) as overdue_open_amount,
        w.working_days_total,
        w.working_days_elapsed,
        case
            when q.period_end <= getvariable('as_of_date') then 'past'
            when q.period_start <= getvariable('as_of_date') then 'current'
            else 'future'
        end as period_state
    from quotas as q
    left join actuals as a on q.quota_id = a.quota_id
    left join open_pipeline as p on q.quota_id = p.quota_id
    left join working_days as w on q.quota_id = w.quota_id
)

select
    quota_id,
    owner_id,
    scope,
    period_type,
    quota_type,
    quota_method,
    period_state,
    period_start,
    period_end,
    cast(derived_target as decimal(28, 6)) as target_value,
    cast(actual_value as decimal(28, 6)) as actual_value,
    cast(last_year_actual_value as decimal(28, 6)) as last_year_actual_value,
    cast(actual_value as double) / nullif(derived_target, 0) as attainment,
    cast(working_days_total as integer) as working_days_total,
    cast(working_days_elapsed as integer) as working_days_elapsed,
    case
        when period_state = 'current'
            then cast(derived_target as double) * working_days_elapsed / nullif(working_days_total, 0)
    end as expected_to_date,
    case
        when period_state = 'current'
            then cast(actual_value as double) * working_days_total
            / nullif(cast(derived_target as double) * working_days_elapsed, 0)
    end as pace,
    case
        when period_state = 'current'
            then cast(actual_value as double) * working_days_total / nullif(working_days_elapsed, 0)
    end as projected_value,
    case
        when period_state = 'current' and quota_type = 'revenue' and derived_target > actual_value
            then cast(open_amount_due + overdue_open_amount as double)
            / nullif(derived_target - actual_value, 0)
    end as pipeline_coverage,
    case
        when period_state = 'current' and quota_type = 'revenue'
            then cast(open_amount_due as decimal(28, 6))
    end as open_amount_due,
    case
        when period_state = 'current' and quota_type = 'revenue'
            then cast(overdue_open_amount as decimal(28, 6))
    end as overdue_open_amount,
    derived_target is not null and actual_value >= derived_target as is_met,
    target_value is null and derived_target is not null as is_target_derived
from measured;
