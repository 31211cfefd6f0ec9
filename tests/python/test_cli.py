"""The salesperf command as a user runs it: clear summaries, clear errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from salesperf.cli import main
from salesperf.contract import RAW_TABLES
from salesperf.loader import TIE_RULE
from tests.python.helpers import query


def test_generate_then_export_then_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generated = tmp_path / "generated.duckdb"
    status = main([
        "generate", "--reps", "6", "--months", "3", "--seed", "3", "--end-date", "2026-03-01",
        "--duckdb", str(generated), "--csv-dir", str(tmp_path / "csv"),
    ])
    out = capsys.readouterr().out
    assert status == 0
    assert "seed 3, 6 reps, 3 months to 2026-03-01" in out
    assert "Wrote " in out and " rows in " in out
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{t.name}.csv" for t in RAW_TABLES)

    loaded = tmp_path / "loaded.duckdb"
    status = main(["load", str(tmp_path / "csv"), "--duckdb", str(loaded), "--schema", "crm"])
    out = capsys.readouterr().out
    assert status == 0
    assert f"Loaded {len(RAW_TABLES)} table(s)" in out
    for table in RAW_TABLES:
        expected = query(generated, f'select count(*) from raw."{table.name}"')[0][0]
        assert query(loaded, f'select count(*) from crm."{table.name}"')[0][0] == expected
        assert f"{expected:>9,} rows from {table.name}.csv" in out


def test_load_reports_a_bad_file_and_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Opportunity.csv").write_text("Name,Amount\nDeal,100\n")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    (folder / "user.csv").write_text("id,name\n005A,Ada\n")
    status = main(["load", str(folder), "--duckdb", str(tmp_path / "w.duckdb")])
    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines() == [
        "error: Opportunity.csv: required column(s) id missing; the columns found were: Name, Amount",
        f"Nothing was loaded: a folder loads all or nothing, and {tmp_path / 'w.duckdb'} schema raw is as it was.",
    ]
    assert query(tmp_path / "w.duckdb", "select count(*) from information_schema.tables")[0][0] == 0


def test_load_names_skipped_files_and_tables_created_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    (folder / "user.csv").write_text("id,name\n005A,Ada\n")
    assert main(["load", str(folder), "--duckdb", str(tmp_path / "w.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "skipped notes.csv: it names no table of the raw contract" in out
    assert "created empty" in out and "        1 rows from user.csv" in out


def test_a_latin_1_file_beside_utf_8_ones_loads_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "account.csv").write_text("id,name\n001A,Zoë Ltd\n", encoding="utf-8")
    (folder / "opportunity.csv").write_bytes("id,name\n006A,Société Générale\n".encode("latin-1"))
    (folder / "task.csv").write_text("id,subject\n00TA,Call\n", encoding="utf-8")
    status = main(["load", str(folder), "--duckdb", str(tmp_path / "w.duckdb")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "1 rows from opportunity.csv  (read as Windows-1252; missing" in out
    assert "rows from account.csv  (missing" in out  # UTF-8 needs no note
    assert query(tmp_path / "w.duckdb", "select name from raw.opportunity") == [("Société Générale",)]


def test_a_failed_load_is_one_line_per_file_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    first = tmp_path / "first"
    first.mkdir()
    (first / "account.csv").write_text("id,name\n001A,Acme\n001B,Bolt\n")
    (first / "opportunity.csv").write_text("id,name\n006A,Deal A\n")
    assert main(["load", str(first), "--duckdb", str(db)]) == 0
    later = tmp_path / "later"
    later.mkdir()
    (later / "account.csv").write_text("id,name\n001Z,Zenith\n")
    (later / "opportunity.csv").write_bytes(b"id,name\n006Z,caf\xe9 \x81\n")
    (later / "task.csv").write_text("id,subject\n00TA,Call\n")
    capsys.readouterr()
    assert main(["load", str(later), "--duckdb", str(db), "--encoding", "utf-8"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "error: opportunity.csv: not valid utf-8 (byte 0xe9 at offset 16)"
    assert "Traceback" not in out and len(out.splitlines()) == 2
    assert query(db, "select id from raw.account order by id") == [("001A",), ("001B",)]
    assert query(db, "select id from raw.opportunity") == [("006A",)]
    assert query(db, "select count(*) from raw.task") == [(0,)]


def test_a_header_only_file_needs_allow_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunity.csv").write_text("id,name\n006A,Deal A\n")
    assert main(["load", str(folder), "--duckdb", str(db)]) == 0
    (folder / "opportunity.csv").write_text("id,name\n")
    capsys.readouterr()
    assert main(["load", str(folder), "--duckdb", str(db)]) == 1
    out = capsys.readouterr().out
    assert ("error: opportunity.csv: has a header and no rows, and would empty table opportunity (1 rows);"
            " load with --allow-empty to empty it") in out
    assert query(db, "select id from raw.opportunity") == [("006A",)]
    assert main(["load", str(folder), "--duckdb", str(db), "--allow-empty"]) == 0
    assert "        0 rows from opportunity.csv" in capsys.readouterr().out
    assert query(db, "select count(*) from raw.opportunity") == [(0,)]


def test_append_states_the_tie_rule_and_reports_undated_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunity.csv").write_text(
        "id,stage_name,last_modified_date\n006A,Prospecting,2026-01-02 10:00:00\n006B,Prospecting,2026-01-02 10:00:00\n"
    )
    assert main(["load", str(folder), "--duckdb", str(db)]) == 0
    (folder / "opportunity.csv").write_text("id,stage_name\n006A,Closed Won\n006B,Closed Lost\n")
    capsys.readouterr()
    assert main(["load", str(folder), "--duckdb", str(db), "--append"]) == 0
    out = capsys.readouterr().out
    assert ("    2 appended row(s) lack a last_modified_date and differ from a stored version"
            " that has one: staging keeps the stored version (ids: 006A, 006B)") in out
    assert TIE_RULE in out
    assert query(db, "select count(*) from raw.opportunity") == [(4,)]


def test_a_warehouse_in_use_by_another_process_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "account.csv").write_text("id,name\n001A,Acme\n")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
         str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        status = main(["load", str(folder), "--duckdb", str(db)])
    finally:
        holder.communicate("")
    out = capsys.readouterr().out
    assert status == 2
    [line] = out.splitlines()
    assert line.startswith(f"error: {db} is in use by another process (") and "Traceback" not in out


def test_a_warehouse_path_that_cannot_be_written_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a_file").write_text("")
    db = tmp_path / "a_file" / "w.duckdb"
    status = main(["load", str(tmp_path), "--duckdb", str(db)])
    out = capsys.readouterr().out
    assert status == 2
    [line] = out.splitlines()
    assert line.startswith(f"error: {db}: cannot be opened (")


def test_a_warehouse_file_named_raw_duckdb_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DuckDB names a database after its file, and the raw schema is called raw."""
    db = tmp_path / "raw.duckdb"
    status = main([
        "generate", "--reps", "6", "--months", "3", "--seed", "3", "--end-date", "2026-03-01",
        "--duckdb", str(db), "--csv-dir", str(tmp_path / "csv"),
    ])
    assert status == 0, capsys.readouterr().out
    [(deals, accounts)] = query(db, "select (select count(*) from raw.opportunity), (select count(*) from raw.account)")
    assert deals > 1 and accounts > 0
    (tmp_path / "csv" / "opportunity.csv").write_text("id,name\n006A,Deal A\n")
    assert main(["load", str(tmp_path / "csv"), "--duckdb", str(db)]) == 0
    capsys.readouterr()
    assert main(["query", "select count(*) * 1000 + 7 as deals from raw.opportunity", "--duckdb", str(db)]) == 0
    assert "1007" in capsys.readouterr().out
    assert query(db, "select count(*) from raw.account") == [(accounts,)]


def test_load_of_a_missing_folder_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["load", str(tmp_path / "nowhere"), "--duckdb", str(tmp_path / "w.duckdb")])
    assert status == 2
    assert capsys.readouterr().out.strip() == f"error: {tmp_path / 'nowhere'}: no such folder"


def test_query_prints_rows_and_reports_bad_sql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    main(["load", str(tmp_path), "--duckdb", str(db)])  # an empty folder: every table created empty
    capsys.readouterr()
    assert main(["query", "select 'row-count' as label, count(*) as n from raw.opportunity", "--duckdb", str(db)]) == 0
    out = capsys.readouterr().out
    assert "row-count" in out and "label" in out
    assert main(["query", "select nonsense from nowhere", "--duckdb", str(db)]) == 1
    assert "error: " in capsys.readouterr().out


def test_build_passes_dbt_options_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """dbt's own options reach dbt whether they come first or last."""
    db = tmp_path / "w.duckdb"
    main(["load", str(tmp_path), "--duckdb", str(db)])  # an empty folder: every raw table created empty
    status = main(["build", "--select", "stage_catalogue", "--duckdb", str(db), "--vars", "{as_of: '2026-01-01'}"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "dbt build: pass" in out and "seeds loaded: 1" in out and "published build" in out
    with pytest.raises(SystemExit):
        main(["load", str(tmp_path), "--select", "x"])


def test_vars_reach_dbt_once_as_data() -> None:
    """Every --vars given is merged in order with what the command adds, and dbt gets one
    JSON map: dbt itself would keep only the last --vars."""
    from salesperf.dbt_build import split_vars, with_vars

    given = ["--select", "x", "--vars", "{as_of: '2026-01-01 00:00:00', a: 1}", "--vars={a: 2}"]
    assert split_vars(given) == ({"as_of": "2026-01-01 00:00:00", "a": 2}, ["--select", "x"])
    assert with_vars(given, {"b": [1, 2]}) == [
        "--select", "x", "--vars", '{"a": 2, "as_of": "2026-01-01 00:00:00", "b": [1, 2]}']
    assert with_vars(["--select", "x"], {}) == ["--select", "x"]
    for bad in ("[1, 2]", "{as_of: '2026"):
        with pytest.raises(ValueError, match="--vars"):
            with_vars(["--vars", bad], {})
