"""Loading a folder of CSV files into the raw schema, as a user brings their own export."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from salesperf.contract import RAW_TABLES, RAW_TABLES_BY_NAME
from salesperf.loader import RULE_COLUMNS, TIE_RULE, LoadError, load_csv_folder, normalize_name
from salesperf.settings import PROJECT_ROOT
from salesperf.warehouse import connect, existing_tables, export_csv, replace_table

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


def test_missing_required_column_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "opportunity.csv", "name,amount\nDeal,100\n")
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
    assert refused.value.problems == [
        "opportunity.csv: required column(s) id missing; the columns found were: name, amount"
    ]


def test_rep_cost_needs_user_and_month(tmp_path: Path) -> None:
    write(tmp_path / "export", "rep_cost.csv", "user_id,loaded_cost\n005A,100\n")
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(tmp_path / "export", con, "raw", loaded_at=FIRST_LOAD)
    assert refused.value.problems == [
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
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(tmp_path / "export", con, "raw", loaded_at=FIRST_LOAD)
    assert refused.value.problems == ["lead.csv: the file is empty or has no header row"]


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




def test_append_to_typed_columns_reads_an_empty_field_as_null(tmp_path: Path) -> None:
    """A warehouse `generate` wrote has date and boolean columns: a later load's empty
    field is null there, and a value that is not a date is still refused, naming the file."""
    folder = tmp_path / "export"
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("create schema raw")
        con.execute("create table raw.lead (id varchar, converted_date date, is_converted boolean,"
                    " _loaded_at timestamp, _source_row bigint)")
        con.execute(f"insert into raw.lead values ('00QA', date '2026-01-02', true, '{FIRST_LOAD}', 1)")
        write(folder, "lead.csv", "id,converted_date,is_converted\n00QB,,\n00QC,2026-01-05,false\n")
        load_csv_folder(folder, con, "raw", append=True, loaded_at=SECOND_LOAD)
        rows = con.execute("select id, converted_date, is_converted, _source_row from raw.lead order by 1").fetchall()
        write(folder, "lead.csv", "id,converted_date\n00QD,soon\n")
        with pytest.raises(LoadError, match="lead.csv: could not be written to the warehouse"):
            load_csv_folder(folder, con, "raw", append=True, loaded_at=SECOND_LOAD)
    assert [row[:3] for row in rows] == [
        ("00QA", date(2026, 1, 2), True),
        ("00QB", None, None),
        ("00QC", date(2026, 1, 5), False),
    ]
    assert [row[3] for row in rows] == [1, 2, 3]
def test_generated_data_round_trips_through_csv(demo_warehouse: Path, tmp_path: Path) -> None:
    """Every demo table exported as CSV loads back with the same rows, value for value
    (as text: the loader keeps what the file says, and an empty field reads as empty)."""
    with connect(demo_warehouse) as con:
        export_csv(con, "raw", tmp_path / "csv")
    with connect(tmp_path / "copy.duckdb") as con:
        report = load_csv_folder(tmp_path / "csv", con, "raw", loaded_at=FIRST_LOAD)
        assert not report.unmatched_files
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


# --- a folder loads all or nothing -------------------------------------------------------------


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f'select * exclude (_loaded_at, _source_row) from raw."{table}" order by _source_row').fetchall()


def first_load(folder: Path, con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Accounts and deals loaded once; every table's rows as they stand after it."""
    write(
        folder,
        "account.csv",
        "id,name,last_modified_date\n001A,Acme,2026-01-02 10:00:00\n001B,Bolt,2026-01-02 11:00:00\n",
    )
    write(
        folder,
        "opportunity.csv",
        "id,name,stage_name,last_modified_date\n"
        "006A,Deal A,Prospecting,2026-01-02 10:00:00\n"
        "006B,Deal B,Qualification,2026-01-02 11:00:00\n"
        "006C,Deal C,Prospecting,\n",
    )
    load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
    return {table.name: table_rows(con, table.name) for table in RAW_TABLES}


def assert_unchanged(con: duckdb.DuckDBPyConnection, before: dict[str, list[tuple]]) -> None:
    assert {table.name: table_rows(con, table.name) for table in RAW_TABLES} == before


def test_a_bad_file_leaves_every_table_as_it_was(tmp_path: Path) -> None:
    """The account file comes before the bad one and the task file after it: neither is written."""
    with connect(tmp_path / "w.duckdb") as con:
        before = first_load(tmp_path / "first", con)
        later = tmp_path / "later"
        write(later, "account.csv", "id,name\n001Z,Zenith\n")
        write(later, "opportunity.csv", "name,amount\nDeal,100\n")
        write(later, "task.csv", "id,subject\n00TA,Call\n")
        with pytest.raises(LoadError) as refused:
            load_csv_folder(later, con, "raw", loaded_at=SECOND_LOAD)
        assert_unchanged(con, before)
    assert refused.value.problems == [
        "opportunity.csv: required column(s) id missing; the columns found were: name, amount"
    ]
    assert len(before["account"]) == 2 and len(before["opportunity"]) == 3 and before["task"] == []


def test_every_bad_file_is_named_on_its_own_line(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "opportunity.csv", "name\nDeal\n")
    write(folder, "task.csv", 'id,subject\n00TA,"a call\nover two lines",Completed\n')
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        assert existing_tables(con, "raw") == set()
    [opportunity, task] = refused.value.problems
    assert opportunity.startswith("opportunity.csv: required column(s) id missing")
    assert task.startswith("task.csv: not a readable CSV file (") and "\n" not in task
    assert str(refused.value) == "\n".join(refused.value.problems)


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "account.csv", "id,name\n001A,Acme\n")
    (folder / "lead.csv").mkdir()
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        assert existing_tables(con, "raw") == set()
    assert refused.value.problems == ["lead.csv: cannot be read (Is a directory)"]


# --- encodings ----------------------------------------------------------------------------------

LATIN_1_DEAL = "id,name,stage_name\n006A,Société Générale – renouvellement,Négociation\n"


def test_latin_1_and_windows_1252_files_load_beside_utf_8(tmp_path: Path) -> None:
    """The export an operator brought: one file saved by a Windows tool, the others UTF-8."""
    folder = tmp_path / "export"
    write(folder, "account.csv", "id,name\n001A,Zoë Ltd\n")
    (folder / "opportunity.csv").write_bytes(LATIN_1_DEAL.encode("cp1252"))
    (folder / "user.csv").write_bytes("id,name\n005A,Ana Núñez\n".encode("latin-1"))
    write(folder, "task.csv", "id,subject\n00TA,Call\n")
    with connect(tmp_path / "w.duckdb") as con:
        report = load_csv_folder(folder, con, "raw", loaded_at=FIRST_LOAD)
        deal = con.execute("select id, name, stage_name from raw.opportunity").fetchall()
        user = con.execute('select name from raw."user"').fetchall()
        account = con.execute("select name from raw.account").fetchall()
        tasks = con.execute("select count(*) from raw.task").fetchone()[0]
    assert deal == [("006A", "Société Générale – renouvellement", "Négociation")]
    assert user == [("Ana Núñez",)] and account == [("Zoë Ltd",)] and tasks == 1
    encodings = {load.table: load.encoding for load in report.loads if load.file}
    assert encodings == {"account": "utf-8", "opportunity": "cp1252", "user": "cp1252", "task": "utf-8"}


def test_a_utf_8_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder).mkdir()
    (folder / "Account.csv").write_bytes("\ufeffId,Name\n001A,Zoë Ltd\n".encode())
    with connect(tmp_path / "w.duckdb") as con:
        [load] = [entry for entry in load_csv_folder(folder, con, "raw").loads if entry.file]
        rows = con.execute("select id, name from raw.account").fetchall()
    assert rows == [("001A", "Zoë Ltd")]
    assert load.encoding == "utf-8" and not load.extra_columns


def test_a_given_encoding_is_used_and_checked(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunity.csv").write_bytes(LATIN_1_DEAL.replace("–", "-").encode("latin-1"))
    with connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(LoadError) as refused:
            load_csv_folder(folder, con, "raw", encoding="utf-8")
        assert existing_tables(con, "raw") == set()
        [load] = [entry for entry in load_csv_folder(folder, con, "raw", encoding="latin-1").loads if entry.file]
        names = con.execute("select name from raw.opportunity").fetchall()
    offset = LATIN_1_DEAL.replace("–", "-").encode("latin-1").index("é".encode("latin-1"))
    assert refused.value.problems == [f"opportunity.csv: not valid utf-8 (byte 0xe9 at offset {offset})"]
    assert load.encoding == "latin-1" and names == [("Société Générale - renouvellement",)]


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "export", "account.csv", "id\n001A\n")
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(tmp_path / "export", con, "raw", encoding="klingon")
    assert refused.value.problems == ["unknown encoding: klingon"]


def test_a_file_in_neither_utf_8_nor_windows_1252_asks_for_its_encoding(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    # 0x81 is not a character in Windows-1252, and 0xe9 followed by a space is not UTF-8
    data = b"id,name\n001A,caf\xe9 \x81\n"
    (folder / "account.csv").write_bytes(data)
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(LoadError) as refused:
        load_csv_folder(folder, con, "raw")
    offset = data.index(bytes([0x81]))
    assert refused.value.problems == [
        f"account.csv: neither UTF-8 nor Windows-1252 (byte 0x81 at offset {offset});"
        " give the file's encoding with --encoding"
    ]


# --- values over several lines -----------------------------------------------------------------


def test_quoted_line_breaks_load_in_a_file_of_several_blocks(tmp_path: Path) -> None:
    """The CSV reader cuts a file into 1 MiB blocks at line breaks and parses them in
    parallel; unless told that values hold line breaks, a cut inside a quoted value
    refuses the file ("got out of sync with chunker"). Every subject here spans two lines,
    over 2 MiB, so at least one cut falls inside a quoted value."""
    folder = tmp_path / "export"
    folder.mkdir()
    rows = 40_000
    with (folder / "task.csv").open("w", newline="") as handle:
        handle.write("id,subject,status\n")
        for i in range(rows):
            handle.write(f'00T{i:015d},"Call {i}\nnotes, ""quoted"", line two",Completed\n')
    assert (folder / "task.csv").stat().st_size > 2 * 2**20
    with connect(tmp_path / "w.duckdb") as con:
        [load] = [entry for entry in load_csv_folder(folder, con, "raw").loads if entry.file]
        count, last = con.execute(
            "select count(*), max_by(subject, _source_row) from raw.task where status = 'Completed'"
        ).fetchone()
    assert load.rows == count == rows
    assert last == f'Call {rows - 1}\nnotes, "quoted", line two'


# --- a file with a header and no rows ----------------------------------------------------------


def test_a_header_only_file_does_not_empty_a_table_with_rows(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        before = first_load(tmp_path / "first", con)
        later = tmp_path / "later"
        write(later, "account.csv", "id,name\n001Z,Zenith\n")
        write(later, "opportunity.csv", "id,name,stage_name\n")
        with pytest.raises(LoadError) as refused:
            load_csv_folder(later, con, "raw", loaded_at=SECOND_LOAD)
        assert_unchanged(con, before)

        load_csv_folder(later, con, "raw", allow_empty=True, loaded_at=SECOND_LOAD)
        deals = con.execute("select count(*) from raw.opportunity").fetchone()[0]
        accounts = con.execute("select id from raw.account").fetchall()
    assert refused.value.problems == [
        f"opportunity.csv: has a header and no rows, and would empty table opportunity"
        f" ({len(before['opportunity'])} rows); load with --allow-empty to empty it"
    ]
    assert deals == 0 and accounts == [("001Z",)]


def test_a_header_only_file_for_an_empty_or_absent_table_loads(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "opportunity.csv", "id,name\n")
    with connect(tmp_path / "w.duckdb") as con:
        [first] = [entry for entry in load_csv_folder(folder, con, "raw").loads if entry.file]
        [again] = [entry for entry in load_csv_folder(folder, con, "raw").loads if entry.file]
        count = con.execute("select count(*) from raw.opportunity").fetchone()[0]
    assert first.rows == again.rows == count == 0


def test_a_header_only_file_appends_nothing_without_asking(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        before = first_load(tmp_path / "first", con)
        write(tmp_path / "later", "opportunity.csv", "id,name,stage_name\n")
        load_csv_folder(tmp_path / "later", con, "raw", append=True, loaded_at=SECOND_LOAD)
        assert_unchanged(con, before)


def test_the_empty_rule_reads_the_row_counts_it_is_given(tmp_path: Path) -> None:
    """Loading into PostgreSQL goes through an empty scratch DuckDB: the rows that count
    are the destination's, passed in."""
    write(tmp_path / "export", "opportunity.csv", "id,name\n")
    with connect(tmp_path / "scratch.duckdb") as con, pytest.raises(LoadError, match="--allow-empty"):
        load_csv_folder(tmp_path / "export", con, "raw", stored_rows={"opportunity": 7})
    with connect(tmp_path / "scratch.duckdb") as con:
        report = load_csv_folder(tmp_path / "export", con, "raw", stored_rows={"opportunity": 0, "account": 3})
    created = {entry.table for entry in report.loads if entry.created_empty}
    # a table the destination has is left alone, not replaced by an empty one
    assert "account" not in created and "lead" in created


# --- appended versions without a last change ---------------------------------------------------


def test_appended_changes_without_a_last_modified_date_are_reported(tmp_path: Path) -> None:
    """Staging ranks a version without last_modified_date below every version with one, so
    these appended changes lose to the stored rows: the load says which."""
    with connect(tmp_path / "w.duckdb") as con:
        first_load(tmp_path / "first", con)
        write(
            tmp_path / "empty_date",
            "opportunity.csv",
            "id,name,stage_name,last_modified_date\n"
            "006A,Deal A,Closed Won,\n"  # a change, undated: reported
            "006B,Deal B,Qualification,\n"  # the stored values again: nothing lost
            "006C,Deal C,Closed Lost,\n"  # the stored row has no date either: the appended row wins
            "006D,Deal D,Prospecting,\n",  # a new record
        )
        report = load_csv_folder(tmp_path / "empty_date", con, "raw", append=True, loaded_at=SECOND_LOAD)
        [empty_date] = [entry for entry in report.loads if entry.file]
        write(tmp_path / "no_column", "opportunity.csv", "id,stage_name\n006B,Closed Lost\n006D,Closed Won\n")
        report = load_csv_folder(tmp_path / "no_column", con, "raw", append=True, loaded_at=SECOND_LOAD)
        [no_column] = [entry for entry in report.loads if entry.file]
        appended = con.execute("select count(*) from raw.opportunity").fetchone()[0]
    assert (empty_date.undated_changes, empty_date.undated_change_ids) == (1, ("006A",))
    assert (no_column.undated_changes, no_column.undated_change_ids) == (1, ("006B",))
    assert appended == 3 + 4 + 2


def test_appended_rows_with_a_date_or_tables_without_the_column_are_not_reported(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        first_load(tmp_path / "first", con)
        write(
            tmp_path / "dated",
            "opportunity.csv",
            "id,stage_name,last_modified_date\n006A,Closed Won,2026-01-03 09:00:00\n",
        )
        write(tmp_path / "dated", "opportunity_history.csv", "id,opportunity_id,stage_name\n008A,006A,Closed Won\n")
        loads = load_csv_folder(tmp_path / "dated", con, "raw", append=True, loaded_at=SECOND_LOAD).loads
    assert [(entry.table, entry.undated_changes) for entry in loads if entry.file] == [
        ("opportunity", 0), ("opportunity_history", 0)
    ]


def test_the_stated_tie_rule_is_the_order_staging_applies() -> None:
    """The load summary states how versions are ranked; it must be the staging macro's order."""
    macro = (PROJECT_ROOT / "macros" / "newest_version_first.sql").read_text()
    order = re.findall(r"^\s*(\{\{ last_modified_column \}\}|_loaded_at|_source_row) desc nulls last,?$", macro, re.M)
    assert order == ["{{ last_modified_column }}", "_loaded_at", "_source_row"]
    assert RULE_COLUMNS == ("last_modified_date", "_loaded_at", "_source_row")
    assert "without one ranks below every version with one" in TIE_RULE


def test_a_write_that_fails_midway_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are written in one transaction: a failure on the second leaves the first as it was."""
    import salesperf.loader

    written: list[str] = []

    def replace_then_fail(con: duckdb.DuckDBPyConnection, schema: str, name: str, data: object) -> None:
        if written:
            raise duckdb.IOException("IO Error: No space left on device")
        written.append(name)
        replace_table(con, schema, name, data)

    with connect(tmp_path / "w.duckdb") as con:
        before = first_load(tmp_path / "first", con)
        later = tmp_path / "later"
        write(later, "account.csv", "id,name\n001Z,Zenith\n")
        write(later, "opportunity.csv", "id,name\n006Z,Deal Z\n")
        monkeypatch.setattr(salesperf.loader, "replace_table", replace_then_fail)
        with pytest.raises(LoadError) as refused:
            load_csv_folder(later, con, "raw", loaded_at=SECOND_LOAD)
        assert_unchanged(con, before)
    assert written == ["account"]
    assert refused.value.problems == [
        "opportunity.csv: could not be written to the warehouse, so nothing was loaded"
        " (IO Error: No space left on device)"
    ]


def test_utf_16_with_a_byte_order_mark_is_recognised(tmp_path: Path) -> None:
    """What Excel writes as "Unicode text"; read as Windows-1252 its header would be garbage."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "account.csv").write_bytes("id,name\n001A,Zoë Łódź\n".encode("utf-16"))
    with connect(tmp_path / "w.duckdb") as con:
        [load] = [entry for entry in load_csv_folder(folder, con, "raw").loads if entry.file]
        rows = con.execute("select id, name from raw.account").fetchall()
    assert load.encoding == "utf-16" and rows == [("001A", "Zoë Łódź")]
