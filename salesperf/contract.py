"""The raw CRM contract (../shared/spec/raw_crm.md) as data: tables, their columns, and keys.

The generator writes exactly these columns, the loader fills in the optional ones a file
lacks, and the dbt sources declare the same list (a test keeps the three in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawTable:
    name: str
    grain: str
    columns: tuple[str, ...]
    # Columns without which a file cannot be loaded at all: the record's identity.
    required: tuple[str, ...] = ("id",)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.required)


RAW_TABLES: tuple[RawTable, ...] = (
    RawTable(
        "user",
        "CRM user (rep, manager)",
        ("id", "name", "email", "title", "division", "user_role_id", "manager_id",
         "is_active", "created_date", "last_modified_date"),
    ),
    RawTable("user_role", "role in the role hierarchy (team)", ("id", "name", "parent_role_id")),
    RawTable(
        "account",
        "company",
        ("id", "name", "industry", "type", "billing_country", "annual_revenue",
         "number_of_employees", "owner_id", "account_source", "created_date", "is_deleted",
         "last_modified_date"),
    ),
    RawTable(
        "opportunity",
        "deal, current state",
        ("id", "name", "account_id", "owner_id", "stage_name", "amount", "probability",
         "close_date", "created_date", "is_closed", "is_won", "type", "lead_source",
         "forecast_category", "is_deleted", "last_modified_date", "currency_iso_code"),
    ),
    RawTable(
        "opportunity_history",
        "change to a deal's stage / amount / close date",
        ("id", "opportunity_id", "created_date", "stage_name", "amount", "probability",
         "close_date", "forecast_category", "is_deleted", "currency_iso_code"),
    ),
    RawTable(
        "opportunity_line_item",
        "product on a deal",
        ("id", "opportunity_id", "product_2_id", "quantity", "unit_price", "total_price",
         "is_deleted", "last_modified_date", "currency_iso_code"),
    ),
    RawTable(
        "product_2",
        "product",
        ("id", "name", "family", "is_active", "unit_cost_c", "is_deleted", "last_modified_date"),
    ),
    RawTable(
        "task",
        "call, email, to-do",
        ("id", "owner_id", "who_id", "what_id", "account_id", "subject", "type", "task_subtype",
         "status", "activity_date", "created_date", "call_type", "call_disposition",
         "call_duration_in_seconds", "is_deleted", "last_modified_date"),
    ),
    RawTable(
        "event",
        "meeting, demo",
        ("id", "owner_id", "who_id", "what_id", "account_id", "subject", "type",
         "start_date_time", "end_date_time", "duration_in_minutes", "created_date",
         "is_deleted", "last_modified_date"),
    ),
    RawTable(
        "lead",
        "lead",
        ("id", "owner_id", "status", "lead_source", "created_date", "is_converted",
         "converted_date", "converted_opportunity_id", "converted_account_id", "is_deleted",
         "last_modified_date"),
    ),
    RawTable(
        "quota",
        "target from the planning tool",
        ("id", "owner_id", "scope", "period_type", "period_start", "quota_type", "target_value",
         "method", "is_deleted", "last_modified_date"),
    ),
    RawTable(
        "rep_cost",
        "fully loaded cost of a user for a month",
        ("user_id", "month_start", "loaded_cost"),
        required=("user_id", "month_start"),
    ),
    # Optional tables: an org without them has one owner per deal's life and one currency.
    RawTable(
        "opportunity_field_history",
        "change to a tracked field of a deal (two rows per owner change: ids, then names)",
        ("id", "opportunity_id", "field", "old_value", "new_value", "created_date", "is_deleted"),
    ),
    RawTable(
        "dated_conversion_rate",
        "exchange rate over a date range, in units of iso_code per corporate currency unit",
        ("id", "iso_code", "start_date", "next_start_date", "conversion_rate"),
    ),
)

RAW_TABLES_BY_NAME: dict[str, RawTable] = {table.name: table for table in RAW_TABLES}

# Salesforce key prefixes: the first three characters of an id name its object.
ID_PREFIXES: dict[str, str] = {
    "account": "001",
    "contact": "003",
    "user": "005",
    "opportunity": "006",
    "opportunity_history": "008",
    "user_role": "00E",
    "lead": "00Q",
    "task": "00T",
    "event": "00U",
    "opportunity_line_item": "00k",
    "product_2": "01t",
    "quota": "a0Q",
    "opportunity_field_history": "017",
    "dated_conversion_rate": "04w",
}
