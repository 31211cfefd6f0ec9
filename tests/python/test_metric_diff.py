"""The metric diff: what a pull request does to the numbers.

The comparison is checked on two small hand-made warehouses; state selection on manifests
parsed with two warehouse file names; and `salesperf diff` itself in a git repository made
from the project, on commits that change a definition, move a seed row, only reformat SQL
and break a model. Every diff shares one work folder, so the base (main) is built once.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from salesperf import metric_diff
from salesperf.cli import main
from salesperf.dbt_build import dbt_vars, run_dbt
from salesperf.demo import generate
from salesperf.metric_diff import RelationSpec, compare_warehouses, fingerprint
from salesperf.settings import PROJECT_ROOT
from salesperf.warehouse import connect
from tests.python.helpers import BUILD_COLUMNS, SMALL_DEMO, SMALL_DEMO_AS_OF, copy_project

VARS = dbt_vars(as_of=SMALL_DEMO_AS_OF)[1]
PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "models", "macros", "seeds", "analyses", "profiles")


# ----------------------------------------------------------------------------------------
# The comparison on two small warehouses
# ----------------------------------------------------------------------------------------


def _warehouse(path: Path, metric_rows: list[tuple], deal_rows: list[tuple], build_id: str, as_of: str) -> Path:
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.rep_metric (rep_metric_id varchar, rep_id varchar, month_start date,"
            " won bigint, amount decimal(28, 6), rate double, note varchar)"
        )
        con.executemany("insert into marts.rep_metric values (?, ?, ?, ?, ?, ?, ?)", metric_rows)
        con.execute(
            "create table marts.fct_opportunities (opportunity_id varchar, deal_category varchar,"
            " is_won boolean, amount decimal(28, 6))"
        )
        con.executemany("insert into marts.fct_opportunities values (?, ?, ?, ?)", deal_rows)
        # the columns that end every mart: another build, another id (and here another as_of)
        for table in ("rep_metric", "fct_opportunities"):
            con.execute(f"alter table marts.{table} add column build_id varchar default '{build_id}'")
            con.execute(f"alter table marts.{table} add column as_of timestamp default timestamp '{as_of}'")
        con.execute("create view marts.won_deals as select * from marts.fct_opportunities where is_won")
    return path


@pytest.fixture()
def two_warehouses(tmp_path: Path) -> tuple[Path, Path]:
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    base = _warehouse(
        tmp_path / "base" / "warehouse.duckdb",
        [
            ("a#jan", "a", jan, 2, 100, 0.5, "ok"),
            ("a#feb", "a", feb, 1, 50, 0.25, "ok"),
            ("b#jan", "b", jan, 0, 0, None, "no deals"),
            ("c#jan", "c", jan, 4, 400, 0.8, "ok"),
        ],
        [("o1", "upsell", True, 100), ("o2", "upsell", False, 50), ("o3", "upsell", True, 10),
         ("o4", "new_business", True, 7), ("o5", "renewal", False, 5)],
        build_id="base-build", as_of="2026-06-01 00:00:00",
    )
    head = _warehouse(
        tmp_path / "head" / "warehouse.duckdb",
        [
            ("a#jan", "a", jan, 2, 100, 0.5 + 1e-13, "ok"),  # the same rate, summed in another order
            ("a#feb", "a", feb, 3, 150, 0.75, "ok"),  # moved
            ("b#jan", "b", jan, 0, 0, 0.0, "no deals"),  # null became 0
            ("d#feb", "d", feb, 1, 10, None, "ok"),  # added; c#jan removed
        ],
        [("o1", "renewal", True, 100), ("o2", "renewal", False, 50), ("o3", "upsell", True, 12),
         ("o4", "new_business", False, 7), ("o6", "renewal", True, 1)],
        build_id="head-build", as_of="2026-06-02 00:00:00",
    )
    return base, head


def test_the_comparison_counts_changed_added_and_removed_rows_per_column(two_warehouses: tuple[Path, Path]) -> None:
    base, head = two_warehouses
    metric, deals = compare_warehouses(base, head, [
        RelationSpec("rep_metric", "marts", "rep_metric", ["rep_metric_id"]),
        RelationSpec("fct_opportunities", "marts", "fct_opportunities", ["opportunity_id"], is_fact=True),
    ], top=2)

    assert (metric.rows_before, metric.rows_after, metric.added, metric.removed, metric.changed) == (4, 4, 1, 1, 2)
    columns = {c.column: c for c in metric.columns}
    # all, through d and c, but the columns that say which build wrote the rows
    assert set(columns) == {"rep_id", "month_start", "won", "amount", "rate", "note"}
    assert (columns["won"].changed, columns["won"].added, columns["won"].removed) == (1, 1, 1)
    assert (columns["won"].total_before, columns["won"].total_after) == (7, 6)
    assert columns["won"].mean_before == pytest.approx(7 / 4) and columns["won"].mean_after == pytest.approx(6 / 4)
    # a null that became 0 changed; 1e-13 on a double did not; d's null rate is not "added"
    assert (columns["rate"].changed, columns["rate"].added, columns["rate"].removed) == (2, 0, 1)
    assert columns["note"].changed == 0 and columns["note"].total_before is None

    won_moves = [m for m in metric.moves if m.column == "won"]
    assert [(m.key, m.rep, m.period, m.before, m.after) for m in won_moves] == [
        ("c#jan", "c", "2026-01-01", 4, None),  # the largest move first, then a#feb (+2)
        ("a#feb", "a", "2026-02-01", 1, 3),
    ]
    assert won_moves[1].delta == 2

    assert (deals.added, deals.removed, deals.changed) == (1, 1, 4)
    assert deals.moves == []
    assert [(t.column, t.before, t.after, t.rows) for t in deals.transitions] == [
        ("deal_category", "upsell", "renewal", 2),
        ("is_won", "true", "false", 1),
    ]
    assert deals.transitions[0].sentence() == "2 deals moved from upsell to renewal"
    assert {c.column: c.changed for c in deals.columns}["amount"] == 1

    markdown = metric_diff.render_markdown(metric_diff.MetricDiff(
        base_ref="main", base_commit="0" * 40, head="working tree", as_of="2026-06-01 00:00:00",
        dbt_args=[], relations=[metric, deals],
    ))
    assert "| `rep_metric.won` | 1 | 1 | 1 | 7 → 6 (−1) | 1.75 → 1.5 (−0.25) |" in markdown
    assert "- **fct_opportunities** (5 → 5 deals)" in markdown
    assert "  - 2 deals moved from upsell to renewal (`deal_category`)" in markdown
    assert "  - 1 deal entered, 1 left" in markdown
    assert "build_id and as_of (which build wrote a mart) not compared" in markdown


def test_without_a_key_rows_are_added_and_removed_whole(two_warehouses: tuple[Path, Path]) -> None:
    base, head = two_warehouses
    (metric,) = compare_warehouses(base, head, [RelationSpec("rep_metric", "marts", "rep_metric", [])])
    # a#feb and d#feb are new rows, c#jan and a#feb's old version gone; a#jan's rate differs
    # by 1e-13, so without a key it is a removed and an added row too
    assert (metric.added, metric.removed, metric.changed) == (4, 4, 0)


def test_a_fingerprint_ignores_row_order_and_sees_any_value(tmp_path: Path, two_warehouses: tuple[Path, Path]) -> None:
    base, head = two_warehouses
    copy = tmp_path / "copy" / "warehouse.duckdb"
    copy.parent.mkdir()
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{base}' as source (read_only)")
        con.execute("create schema marts")
        con.execute(
            "create table marts.rep_metric as select * replace ('another-build' as build_id)"
            " from source.marts.rep_metric order by rep_metric_id desc"
        )
    # the same rows written by another build
    assert fingerprint(base, "marts", "rep_metric") == fingerprint(copy, "marts", "rep_metric")
    assert fingerprint(base, "marts", "rep_metric") != fingerprint(head, "marts", "rep_metric")
    assert fingerprint(base, "marts", "won_deals") != fingerprint(head, "marts", "won_deals")  # a view
    assert fingerprint(base, "marts", "nothing") is None


def test_as_of_is_pinned_for_both_builds_and_fail_on_change_names_marts_or_columns() -> None:
    now = datetime(2026, 3, 4, 5, 6, 7)
    args, as_of = metric_diff.pin_as_of(["--vars", "{raw_schema: crm}", "--full-refresh"], now)
    assert as_of == "2026-03-04 05:06:07"
    assert args == ["--full-refresh", "--vars", '{"as_of": "2026-03-04 05:06:07", "raw_schema": "crm"}']
    assert metric_diff.pin_as_of([f"--vars={VARS}"])[1] == SMALL_DEMO_AS_OF

    diff = metric_diff.MetricDiff("main", "0" * 40, "working tree", SMALL_DEMO_AS_OF, [], relations=[
        metric_diff.RelationDiff("rep_win_rate_monthly", False, ["rep_win_rate_monthly_id"], 1, 1, 0, 0, 1, columns=[
            metric_diff.ColumnChange("rep_win_rate_monthly", "win_rate", "DOUBLE", 1, 0, 0),
        ]),
    ])
    known = metric_diff.known_metric_names({"nodes": {"model.salesperf.rep_win_rate_monthly": {
        "resource_type": "model", "fqn": ["salesperf", "marts", "rep_win_rate_monthly"], "name": "rep_win_rate_monthly",
        "columns": {"win_rate": {}, "build_id": {}, "as_of": {}},
    }}})
    assert known == {"rep_win_rate_monthly", "win_rate", "rep_win_rate_monthly.win_rate"}  # no build column
    for names, expected in [
        (["win_rate"], ["rep_win_rate_monthly.win_rate"]),
        (["rep_win_rate_monthly"], ["rep_win_rate_monthly.win_rate"]),
        (["rep_win_rate_monthly.win_rate", "won"], ["rep_win_rate_monthly.win_rate"]),
        (["won", "rep_scorecard_monthly"], []),
    ]:
        assert metric_diff.fail_on_change_matches(diff, names) == expected


# ----------------------------------------------------------------------------------------
# State comparison does not depend on the warehouse file's name
# ----------------------------------------------------------------------------------------


def test_state_modified_is_empty_between_manifests_of_two_warehouse_files(tmp_path: Path) -> None:
    """dbt-duckdb names the database after the file, and the sources' database follows the
    target's: compared as rendered, every source (and all that reads them) looked modified."""
    state = tmp_path / "a_target"
    parsed = run_dbt(["parse"], database=tmp_path / "a.duckdb", target_path=state)
    assert parsed.success, parsed.exception
    sources = {s["database"] for s in json.loads((state / "manifest.json").read_text())["sources"].values()}
    assert sources == {"a"}
    listed = run_dbt(
        ["ls", "--select", "state:modified", "--state", str(state), "--output", "name", "--quiet"],
        database=tmp_path / "b.duckdb", target_path=tmp_path / "b_target",
    )
    assert listed.success, listed.exception
    assert listed.result == []
    listed = run_dbt(
        ["ls", "--selector", "modified_and_downstream", "--state", str(state), "--quiet"],
        database=tmp_path / "b.duckdb", target_path=tmp_path / "b_target",
    )
    assert listed.success, listed.exception
    assert listed.result == []


# ----------------------------------------------------------------------------------------
# `salesperf diff` on commits of a git repository made from the project
# ----------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dbt project, committed on main in a repository of its own (in a subfolder, as a
    project may be)."""
    root = tmp_path_factory.mktemp("repo")
    project = copy_project(root / "analytics", PROJECT_FILES)
    shutil.copytree(PROJECT_ROOT / "tests", project / "tests", ignore=shutil.ignore_patterns("python", "__*"))
    (root / ".gitignore").write_text("target/\nlogs/\n*.duckdb\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "The project")
    return project


@pytest.fixture(scope="module")
def raw_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("raw") / "warehouse.duckdb"
    with connect(path) as con:
        generate(SMALL_DEMO, con, "raw")
    return path


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by every diff: the base (main) is built once, then reused."""
    return tmp_path_factory.mktemp("diff_work")


def _commit(repo: Path, branch: str, edit: Callable[[Path], None]) -> None:
    _git(repo, "checkout", "-q", "main")
    _git(repo, "checkout", "-q", "-b", branch)
    edit(repo)
    _git(repo, "commit", "-q", "-am", branch)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, path
    path.write_text(text.replace(old, new))


def _diff(
    repo: Path, raw: Path, work: Path, tmp_path: Path, *extra: str
) -> tuple[int, str, dict]:
    status = main([
        "diff", "--project-dir", str(repo), "--duckdb", str(raw), "--work-dir", str(work),
        "--markdown", str(tmp_path / "diff.md"), "--json", str(tmp_path / "diff.json"), "--vars", VARS, *extra,
    ])
    return status, (tmp_path / "diff.md").read_text(), json.loads((tmp_path / "diff.json").read_text())


def _read_marts(path: Path) -> dict[str, tuple[list[str], list[str], dict]]:
    """Each mart table: its columns, their types, and its rows by key (the first column)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()]
        marts = {}
        for table in tables:
            types = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = ? order by ordinal_position", [table],
            ).fetchall()
            rows = con.execute(f'select * from marts."{table}"').fetchall()
            by_key = {row[0]: row for row in rows}
            assert len(by_key) == len(rows), table
            marts[table] = ([c for c, _ in types], [t for _, t in types], by_key)
    return marts


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _plain_python_diff(work: Path, raw: Path) -> tuple[dict[str, tuple[int, int, int]], Counter]:
    """Per moved `mart.column`: rows changed, rows added and removed with a value; and the
    fact rows that moved, as (mart, column, before, after) counts."""
    base, head = _read_marts(work / "base" / raw.name), _read_marts(work / "head" / raw.name)
    assert set(base) == set(head)
    moved: dict[str, tuple[int, int, int]] = {}
    transitions: Counter = Counter()
    for table, (columns, types, before) in base.items():
        after = head[table][2]
        for i, column in enumerate(columns[1:], start=1):
            if column in BUILD_COLUMNS:
                continue  # another build wrote the head's rows: not a metric
            changed = sum(1 for k in before.keys() & after.keys() if not _same(before[k][i], after[k][i]))
            added = sum(1 for k in after.keys() - before.keys() if after[k][i] is not None)
            removed = sum(1 for k in before.keys() - after.keys() if before[k][i] is not None)
            if changed or added or removed:
                moved[f"{table}.{column}"] = (changed, added, removed)
            if table.startswith(("fct_", "dim_")) and types[i] in ("BOOLEAN", "VARCHAR", "DATE"):
                for k in before.keys() & after.keys():
                    if before[k][i] != after[k][i]:
                        text = [None if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                                for v in (before[k][i], after[k][i])]
                        transitions[(table, column, *text)] += 1
    return moved, transitions


def _reported(report: dict) -> tuple[dict[str, tuple[int, int, int]], Counter]:
    moved = {
        f"{c['model']}.{c['column']}": (c["changed"], c["added"], c["removed"])
        for rel in report["relations"] for c in rel["columns"]
    }
    transitions = Counter({
        (t["model"], t["column"], t["before"], t["after"]): t["rows"]
        for rel in report["relations"] for t in rel["transitions"]
    })
    return moved, transitions


def test_a_win_rate_definition_change_reports_exactly_the_rows_that_moved(
    repo: Path, raw_warehouse: Path, work_dir: Path, tmp_path: Path
) -> None:
    """Lost deals abandoned after at most one follow-up leave the win-rate denominator."""
    _commit(repo, "win-rate-denominator", lambda project: _replace(
        project / "models" / "marts" / "pipeline" / "rep_win_rate_monthly.sql",
        "safe_divide('won_deals', 'won_deals + lost_deals')",
        "safe_divide('won_deals', 'won_deals + lost_deals - lost_after_at_most_1')",
    ))
    status, markdown, report = _diff(
        repo, raw_warehouse, work_dir, tmp_path, "--fail-on-change", "rep_win_rate_monthly.win_rate",
    )
    assert status == 1  # the watched metric moved
    assert report["base_ref"] == "merge base with main" and not report["failed"]
    base_build, head_build = report["builds"]
    assert base_build["models"] > 60 and head_build["selection"] == "state:modified+"
    assert 0 < head_build["models"] < 15  # rep_win_rate_monthly and what reads it, not the project

    expected_moved, expected_transitions = _plain_python_diff(work_dir, raw_warehouse)
    moved, transitions = _reported(report)
    assert moved == expected_moved
    assert set(moved) == {"rep_win_rate_monthly.win_rate", "rep_scorecard_monthly.win_rate"}
    assert moved["rep_win_rate_monthly.win_rate"][0] > 0
    assert transitions == expected_transitions == Counter()

    # the largest moves are the rows with the largest change, before and after as built
    base = _read_marts(work_dir / "base" / raw_warehouse.name)["rep_win_rate_monthly"]
    head = _read_marts(work_dir / "head" / raw_warehouse.name)["rep_win_rate_monthly"]
    i = base[0].index("win_rate")
    deltas = sorted(
        (abs((head[2][k][i] or 0) - (base[2][k][i] or 0)) for k in base[2] if not _same(base[2][k][i], head[2][k][i])),
        reverse=True,
    )
    reported = [m for rel in report["relations"] for m in rel["moves"] if m["model"] == "rep_win_rate_monthly"]
    assert [abs((m["after"] or 0) - (m["before"] or 0)) for m in reported] == pytest.approx(deltas[:5])
    first = reported[0]
    assert (first["before"], first["after"]) == (base[2][first["key"]][i], head[2][first["key"]][i])
    assert first["rep"] == base[2][first["key"]][1] and first["period"] == str(base[2][first["key"]][2])

    assert "| `rep_win_rate_monthly.win_rate` |" in markdown
    assert "### Largest moves" in markdown and "### Facts that moved" not in markdown
    assert "`rep_win_rate_monthly`" in markdown.split("### SQL changed, rows changed")[1]
    assert "base build" in markdown and "head build" in markdown and "total" in markdown


def test_a_seed_row_moves_deals_from_upsell_to_renewal(
    repo: Path, raw_warehouse: Path, work_dir: Path, tmp_path: Path
) -> None:
    _commit(repo, "upsells-are-renewals", lambda project: _replace(
        project / "seeds" / "opportunity_types.csv",
        "Existing Business - Upsell,upsell", "Existing Business - Upsell,renewal",
    ))
    status, markdown, report = _diff(repo, raw_warehouse, work_dir, tmp_path)
    assert status == 0
    assert report["builds"][0]["reused"]

    expected_moved, expected_transitions = _plain_python_diff(work_dir, raw_warehouse)
    moved, transitions = _reported(report)
    assert moved == expected_moved
    assert transitions == expected_transitions
    deals = expected_transitions[("fct_opportunities", "deal_category", "upsell", "renewal")]
    assert f"{deals} deals moved from upsell to renewal" in [fact["sentence"] for fact in report["facts_moved"]]
    with duckdb.connect(str(work_dir / "base" / raw_warehouse.name), read_only=True) as con:
        typed = con.execute(
            "select count(*) from marts.fct_opportunities where opportunity_type = 'Existing Business - Upsell'"
        ).fetchall()[0][0]
    assert deals == typed > 0
    assert f"{deals} deals moved from upsell to renewal (`deal_category`)" in markdown
    assert "rep_scorecard_monthly.upsells_won" in moved and "rep_scorecard_monthly.renewals_won" in moved
    assert "| `rep_scorecard_monthly.upsells_won` |" in markdown
    assert "fct_opportunities |" in markdown.split("| `rep_scorecard_monthly.upsells_won` |")[1].split("\n")[0]


def test_reformatted_sql_moves_no_metric(repo: Path, raw_warehouse: Path, work_dir: Path, tmp_path: Path) -> None:
    _commit(repo, "reformat", lambda project: _replace(
        project / "models" / "marts" / "pipeline" / "rep_win_rate_monthly.sql",
        "        cast(won_deals as {{ dbt.type_bigint() }}) as won,\n",
        "        cast(\n            won_deals as {{ dbt.type_bigint() }}\n        ) as won,\n",
    ))
    status, markdown, report = _diff(repo, raw_warehouse, work_dir, tmp_path, "--fail-on-change", "win_rate")
    assert status == 0
    assert _reported(report) == ({}, Counter())
    assert _plain_python_diff(work_dir, raw_warehouse) == ({}, Counter())
    assert report["sql_changed_rows_same"] == ["rep_win_rate_monthly"]
    assert "**No metric moved**" in markdown
    assert "### SQL changed, rows did not\n\n- `rep_win_rate_monthly`" in markdown


def test_a_broken_model_is_named_with_dbts_error_and_fails_the_diff(
    repo: Path, raw_warehouse: Path, work_dir: Path, tmp_path: Path
) -> None:
    _commit(repo, "broken", lambda project: _replace(
        project / "models" / "marts" / "pipeline" / "rep_win_rate_monthly.sql",
        "cast(lost_deals as", "cast(lost_deal_count as",
    ))
    status, markdown, report = _diff(repo, raw_warehouse, work_dir, tmp_path)
    assert status == 2
    assert report["failed"]
    (failure,) = report["failures"]
    assert (failure["build"], failure["node"], failure["resource_type"]) == ("head", "rep_win_rate_monthly", "model")
    assert "lost_deal_count" in failure["message"]
    assert "### The head build failed\n\nmodel `rep_win_rate_monthly` did not build; dbt said:\n\n```text\n" in markdown
    assert "lost_deal_count" in markdown.split("```text")[1].split("```")[0]
    assert report["not_compared"] == ["rep_scorecard_monthly", "rep_win_rate_monthly"]
    assert (
        "Not compared (failed, or skipped after a failure): `rep_scorecard_monthly`, `rep_win_rate_monthly`."
        in markdown
    )
    assert "No metric moved" not in markdown
