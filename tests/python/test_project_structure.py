"""How the project is put together: settings set once per folder, private staging children,
the scorecard reading models rather than every mart, and every model and mart column
documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from salesperf.dbt_build import run_dbt
from salesperf.settings import PROJECT_ROOT
from tests.python.helpers import copy_project

PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "analyses")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    target = tmp_path_factory.mktemp("parse_target")
    result = run_dbt(["parse"], database=target / "parse.duckdb", target_path=target)
    assert result.success, result.exception
    return json.loads((target / "manifest.json").read_text())


def _models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "salesperf"
    }


def test_a_mart_that_reads_staged_line_items_fails_to_compile(tmp_path: Path) -> None:
    """Staged history and line items still hold the rows of deleted deals: only the models
    that attach them to live deals may read them."""
    project = copy_project(tmp_path / "project", PROJECT_PARTS)
    wrong = project / "models" / "marts" / "pipeline" / "line_item_totals.sql"
    wrong.write_text("select * from {{ ref('stg_crm__opportunity_line_items') }}\n")
    result = run_dbt(["parse"], database=tmp_path / "parse.duckdb", target_path=tmp_path / "target", project_dir=project)
    assert not result.success
    assert "private to the 'opportunity_children' group" in str(result.exception)


def test_marts_enforce_contracts_from_the_project_file(manifest: dict) -> None:
    marts = {name: node for name, node in _models(manifest).items() if node["fqn"][1] == "marts"}
    assert len(marts) >= 25
    assert all(node["config"]["contract"]["enforced"] for node in marts.values())
    # but fct_activities: a view of int_activities_linked, which daily runs update by key
    not_tables = {name: node["config"]["materialized"] for name, node in marts.items()
                  if node["config"]["materialized"] != "table"}
    assert not_tables == {"fct_activities": "view"}


def test_settings_are_not_repeated_in_model_files() -> None:
    """Materializations, hooks, contracts and store_failures live in dbt_project.yml. The two
    marts that carry configurable custom fields are the exception: their contract cannot
    hold once a var adds columns it does not list."""
    contract_overrides = set()
    for path in (PROJECT_ROOT / "models").rglob("*.sql"):
        for config in re.findall(r"config\((.*?)\)\s*}}", path.read_text(), re.S):
            assert not re.search(r"materialized|post_hook|store_failures", config), path
            if "contract" in config:
                contract_overrides.add(path.stem)
    assert contract_overrides == {"fct_opportunities", "dim_accounts"}
    for path in [*(PROJECT_ROOT / "models").rglob("*.yml"), *(PROJECT_ROOT / "tests").rglob("*.sql")]:
        text = path.read_text()
        assert "contract:" not in text and "store_failures" not in text, path


def test_the_scorecard_reads_at_most_seven_models(manifest: dict) -> None:
    scorecard = _models(manifest)["rep_scorecard_monthly"]
    parents = [node for node in scorecard["depends_on"]["nodes"] if node.startswith("model.")]
    assert len(parents) <= 7, parents


def test_every_model_says_its_grain_and_every_mart_column_is_described(manifest: dict) -> None:
    models = _models(manifest)
    without_grain = [name for name, node in models.items() if "One row" not in node["description"]]
    assert without_grain == []
    undescribed = [
        f"{name}.{column}"
        for name, node in models.items()
        if node["fqn"][1] == "marts"
        for column, spec in node["columns"].items()
        if not spec["description"].strip()
    ]
    assert undescribed == []


def test_every_var_is_checked_at_the_start_and_read_only_through_its_check() -> None:
    """Each var of dbt_project.yml has a rule that on-run-start applies, and no model, macro
    or test reads a var around it (where its text could reach SQL unchecked)."""
    declared = set(yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"])
    validated = set(re.findall(r"'(\w+)'", (PROJECT_ROOT / "macros" / "validate_vars.sql").read_text()))
    assert validated == declared
    rules = (PROJECT_ROOT / "macros" / "checked_var.sql").read_text()
    for name in declared:
        assert f"'{name}'" in rules, name
    unchecked = []
    for folder in ("models", "macros", "tests", "analyses"):
        for path in (PROJECT_ROOT / folder).rglob("*.sql"):
            if path.name == "checked_var.sql":
                continue
            code = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
            code = re.sub(r"--[^\n]*", "", code)  # SQL comments
            if re.search(r"(?<![\w.])var\(", code):
                unchecked.append(str(path.relative_to(PROJECT_ROOT)))
    assert unchecked == []
