"""Loading a folder of CSV files into the raw schema, as a user brings their own export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.loader import LoadError, load_csv_folder, normalize_name
from salesperf.warehouse import connect, export_csv

FIRST_LOAD = datetime(2026, 1, 5, 6, 0, 0)
SECOND_LOAD = datetime(2026, 1, 6, 6, 0, 0)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("written", "contract"),
    [
        ("OpportunityLineItem", "opportunity_line_item"),
        ("Product2", "product_2"),
        ("Product2Id", "product_2_id"),
        ("Unit_Cost__c", "unit_cost_c"),
        ("CallDurationInSeconds", "call_duration_in_seconds"),
        ("IsDeleted", "is_deleted"),
        ("ID", "id"),
        ("\ufeffId", "id"),
        (" stage_name ", "stage_name"),
        ("Opportunity Lifecycle (Days)", "opportunity_lifecycle_days"),
    ],
)
def test_normalize_name_maps_salesforce_names_to_the_contract(written: str, contract: str) -> None:
    assert normalize_name(written) == contract


def test_extra_and_missing_optional_columns(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(
        folder,
        "opportunity.csv",
        "id,name,stage_name,amount,is_deleted,favourite_colour\n"
        '006A,"Deal, with comma",Prospecting,,false,blue\n'
        "006B,Deal B,Closed Won,1200.50,TRUE,\n",
    )
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        rows = con.execute(
            "select id, name, stage_name, amount, is_deleted, owner_id, favourite_colour,"
            " _loaded_at, _source_row from raw.opportunity order by _source_row"
        ).fetchall()
        columns = [r[0] for r in con.execute("describe raw.opportunity").fetchall()]

    assert report.ok
    [load] = [entry for entry in report.loads if entry.table == "opportunity"]
    assert load.rows == 2
    assert load.extra_columns == ("favourite_colour",)
    contract = RAW_TABLES_BY_NAME["opportunity"]
    assert set(load.missing_optional) == set(contract.columns) - {"id", "name", "stage_name", "amount", "is_deleted"}
    # Contract columns first in contract order, then the extra column, then the load columns.
    assert columns == [*contract.columns, "favourite_colour", "_loaded_at", "_source_row"]
    # Values exactly as written: empty stays empty (staging decides), missing columns are null.
    assert rows == [
        ("006A", "Deal, with comma", "Prospecting", "", "false", None, "blue", FIRST_LOAD, 1),
        ("006B", "Deal B", "Closed Won", "1200.50", "TRUE", None, "", FIRST_LOAD, 2),
    ]


def test_tables_without_a_file_are_created_empty(tmp_path: Path) -> None:
    write(tmp_path / "export", "user.csv", "id,name\n005A,Ada\n")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(tmp_path / "export", con, "crm_raw", loaded_at=FIRST_LOAD)
        counts = {
            t.name: con.execute(f'select count(*) from crm_raw."{t.name}"').fetchone()[0] for t in RAW_TABLES
        }
    created = {entry.table for entry in report.loads if entry.created_empty}
    assert created == {t.name for t in RAW_TABLES} - {"user"}
    assert counts == {t.name: (1 if t.name == "user" else 0) for t in RAW_TABLES}


def test_missing_required_column_is_a_clear_error_and_other_tables_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "opportunity.csv", "name,amount\nDeal,100\n")
    write(folder, "user.csv", "id,name\n005A,Ada\n")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        users = con.execute('select count(*) from raw."user"').fetchone()[0]
    assert not report.ok
    assert report.errors == [
        "opportunity.csv: required column(s) id missing; the columns found were: name, amount"
    ]
    assert users == 1


def test_rep_cost_needs_user_and_month(tmp_path: Path) -> None:
    write(tmp_path / "export", "rep_cost.csv", "user_id,loaded_cost\n005A,100\n")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(tmp_path / "export", con, "raw", loaded_at=FIRST_LOAD)
    assert report.errors == [
        "rep_cost.csv: required column(s) month_start missing; the columns found were: user_id, loaded_cost"
    ]


def test_unknown_files_are_reported_not_loaded(tmp_path: Path) -> None:
    write(tmp_path / "export", "Contact.csv", "Id,Name\n003A,Bo\n")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(tmp_path / "export", con, "raw", loaded_at=FIRST_LOAD)
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert [p.name for p in report.unmatched_files] == ["Contact.csv"]
    assert "contact" not in tables


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "export", "lead.csv", "")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(tmp_path / "export", con, "raw", loaded_at=FIRST_LOAD)
    assert report.errors == ["lead.csv: the file is empty or has no header row"]


def test_missing_folder_raises(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError, match="no such folder"):
        load_csv_folder(tmp_path / "nowhere", con, "raw")


def test_append_adds_a_later_load_after_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "lead.csv", "id,status\n00QA,Open - Not Contacted\n00QB,Working - Contacted\n")
    with connect(tmp_path / "w.duckdb") as con:
        load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        write(folder, "lead.csv", "id,status,lead_source\n00QA,Closed - Converted,Web\n")
        load_csv_folder(folder, con, "raw", append=True, loaded_at=SECOND_LOAD)
        rows = con.execute(
            "select id, status, lead_source, _loaded_at, _source_row from raw.lead order by _source_row"
        ).fetchall()
    assert rows == [
        ("00QA", "Open - Not Contacted", None, FIRST_LOAD, 1),
        ("00QB", "Working - Contacted", None, FIRST_LOAD, 2),
        ("00QA", "Closed - Converted", "Web", SECOND_LOAD, 3),
    ]


def test_generated_data_round_trips_through_csv(demo_warehouse: Path, tmp_path: Path) -> None:
    """Every demo table exported as CSV loads back with the same rows, value for value
    (as text: the loader keeps what the file says, and an empty field reads as empty)."""
    with connect(demo_warehouse) as con:
        export_csv(con, "raw", tmp_path / "csv")
    with connect(tmp_path / "copy.duckdb") as con:
        report = load_csv_folder(tmp_path / "csv", con, "raw", loaded_at=FIRST_LOAD)
        assert report.ok and not report.unmatched_files
        assert not any(entry.created_empty or entry.missing_optional or entry.extra_columns for entry in report.loads)
        con.execute(f"attach '{demo_warehouse}' as demo")
        for table in RAW_TABLES:
            text = ", ".join(f"coalesce(cast({c} as varchar), '')" for c in table.columns)
            reloaded = con.execute(f'select count(*) from raw."{table.name}"').fetchone()[0]
            original = con.execute(f'select count(*) from demo.raw."{table.name}"').fetchone()[0]
            assert reloaded == original and original > 0, table.name
            assert con.execute(
                f'select count(*) from (select {text} from demo.raw."{table.name}"'
                f' except all select {text} from raw."{table.name}")'
            ).fetchone()[0] == 0, table.name
