{#-
    The raw CRM tables with the base staging model that classifies their rows, the column
    that identifies a record, and the model holding its live rows (for history and line
    items, those still attached to a live opportunity, and, where that model also holds
    rows from elsewhere, the condition that picks this table's): the list the audit models
    and tests iterate over. 'attached': the children of an opportunity, whose live rows
    int_opportunity_children_attached decides on again.
-#}
{% macro crm_staged_tables() -%}
    {{ return([
        {
            'source_table': 'user', 'model': 'base_crm__users', 'id_column': 'user_id',
            'live_model': 'stg_crm__users',
        },
        {
            'source_table': 'user_role', 'model': 'base_crm__user_roles', 'id_column': 'user_role_id',
            'live_model': 'stg_crm__user_roles',
        },
        {
            'source_table': 'account', 'model': 'base_crm__accounts', 'id_column': 'account_id',
            'live_model': 'stg_crm__accounts',
        },
        {
            'source_table': 'opportunity', 'model': 'base_crm__opportunities', 'id_column': 'opportunity_id',
            'live_model': 'stg_crm__opportunities',
        },
        {
            'source_table': 'opportunity_history', 'model': 'base_crm__opportunity_histories', 'id_column': 'opportunity_history_id',
            'live_model': 'int_opportunity_histories_attached',
            'live_rows': "change_source != 'history_mode_opportunity'",
            'attached': true,
        },
        {
            'source_table': 'opportunity_line_item', 'model': 'base_crm__opportunity_line_items', 'id_column': 'opportunity_line_item_id',
            'live_model': 'int_opportunity_line_items_attached',
            'attached': true,
        },
        {
            'source_table': 'product_2', 'model': 'base_crm__products', 'id_column': 'product_id',
            'live_model': 'stg_crm__products',
        },
        {
            'source_table': 'task', 'model': 'base_crm__tasks', 'id_column': 'task_id',
            'live_model': 'stg_crm__tasks',
        },
        {
            'source_table': 'event', 'model': 'base_crm__events', 'id_column': 'event_id',
            'live_model': 'stg_crm__events',
        },
        {
            'source_table': 'lead', 'model': 'base_crm__leads', 'id_column': 'lead_id',
            'live_model': 'stg_crm__leads',
        },
        {
            'source_table': 'quota', 'model': 'base_crm__quotas', 'id_column': 'quota_id',
            'live_model': 'stg_crm__quotas',
        },
        {
            'source_table': 'rep_cost', 'model': 'base_crm__rep_costs', 'id_column': 'rep_cost_id',
            'live_model': 'stg_crm__rep_costs',
        },
        {
            'source_table': 'opportunity_field_history', 'model': 'base_crm__opportunity_field_histories', 'id_column': 'opportunity_field_history_id',
            'live_model': 'int_opportunity_field_histories_attached',
            'attached': true,
        },
        {
            'source_table': 'dated_conversion_rate', 'model': 'base_crm__dated_conversion_rates', 'id_column': 'dated_conversion_rate_id',
            'live_model': 'stg_crm__dated_conversion_rates',
        },
    ]) }}
{%- endmacro %}
