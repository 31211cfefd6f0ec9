"""The salesperf command as a user runs it: clear summaries, clear errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesperf.cli import main
from salesperf.contract import RAW_TABLES
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
    status = main(["load", str(folder), "--duckdb", str(tmp_path / "w.duckdb")])
    out = capsys.readouterr().out
    assert status == 1
    assert "error: Opportunity.csv: required column(s) id missing" in out
    assert "skipped notes.csv: it names no table of the raw contract" in out
    assert "created empty" in out


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
    status = main(["build", "--select", "stage_catalogue", "--duckdb", str(db), "--vars", "{as_of: '2026-01-01'}"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "dbt build succeeded" in out and "seeds loaded: 1" in out
    with pytest.raises(SystemExit):
        main(["load", str(tmp_path), "--select", "x"])
