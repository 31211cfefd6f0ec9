"""The Maven Analytics CRM dataset (MavenTech's B2B pipeline: sales_pipeline, sales_teams,
accounts, products) written out as the raw CRM contract's CSV files, with every quirk
handled and reported, so that the whole project builds on data no one here wrote.

The dataset has reps by name (no ids), its own stages (Prospecting, Engaging, Won, Lost:
the `maven_stage_catalogue` seed) and no stage history, only the date a deal was engaged
and the date it closed. Each date becomes a history row; a deal still in Prospecting is
proven to be there only by the export itself, so it is dated at the export.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from salesperf.contract import RAW_TABLES_BY_NAME

STAGE_CATALOGUE = "maven_stage_catalogue"
SOURCE_FILES = ("sales_pipeline.csv", "sales_teams.csv", "accounts.csv", "products.csv")
CLOSED_STAGES = {"Won", "Lost"}
# Misspellings in accounts.csv, corrected so that segments group as they should.
SPELLING = {"technolgy": "technology", "Philipines": "Philippines"}
MISSING_TABLES = ("task", "event", "lead", "quota", "rep_cost")


class MavenError(Exception):
    """The folder is not the Maven dataset."""


@dataclass
class MavenExport:
    as_of: str  # the export's moment: midnight after the last date in the data
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def build_vars(self) -> dict[str, str]:
        return {"stage_catalogue": STAGE_CATALOGUE, "as_of": self.as_of}


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _read(source: Path, name: str) -> list[dict[str, str]]:
    with (source / name).open(newline="", encoding="utf-8-sig") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def _write(out: Path, table: str, rows: list[dict[str, object]]) -> int:
    columns = RAW_TABLES_BY_NAME[table].columns
    with (out / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return len(rows)


def convert(source: Path, out: Path) -> MavenExport:
    """Write the raw contract's tables for the dataset in `source` into `out` as CSV."""
    source, out = Path(source), Path(out)
    missing = [name for name in SOURCE_FILES if not (source / name).is_file()]
    if missing:
        raise MavenError(f"{source}: not the Maven CRM dataset (missing {', '.join(missing)})")
    pipeline = _read(source, "sales_pipeline.csv")
    teams = _read(source, "sales_teams.csv")
    accounts = _read(source, "accounts.csv")
    products = _read(source, "products.csv")
    out.mkdir(parents=True, exist_ok=True)

    dates = [date.fromisoformat(d) for deal in pipeline for d in (deal["engage_date"], deal["close_date"]) if d]
    last_day = max(dates)
    export = MavenExport(as_of=f"{last_day + timedelta(days=1)} 00:00:00")
    stamp = f"{last_day} 00:00:00"

    # Users: agents and their managers by name; the regional offices are the teams.
    offices = sorted({t["regional_office"] for t in teams})
    manager_office = {t["manager"]: t["regional_office"] for t in teams}
    users = [{"id": m, "name": m, "title": "Sales Manager", "division": o, "user_role_id": o, "is_active": "true"}
             for m, o in sorted(manager_office.items())]
    users += [{"id": t["sales_agent"], "name": t["sales_agent"], "title": "Sales Agent", "division": t["regional_office"],
               "user_role_id": t["regional_office"], "manager_id": t["manager"], "is_active": "true"} for t in teams]
    export.rows["user"] = _write(out, "user", users)
    export.rows["user_role"] = _write(out, "user_role", [{"id": o, "name": f"{o} office"} for o in offices])

    fixed = Counter()
    account_rows = []
    for a in accounts:
        industry, country = SPELLING.get(a["sector"], a["sector"]), SPELLING.get(a["office_location"], a["office_location"])
        fixed.update(v for v in (a["sector"], a["office_location"]) if v in SPELLING)
        account_rows.append({
            "id": a["account"], "name": a["account"], "industry": industry, "billing_country": country,
            # revenue is in millions of USD
            "annual_revenue": f"{float(a['revenue']) * 1_000_000:.0f}" if a["revenue"] else "",
            "number_of_employees": a["employees"], "is_deleted": "false",
        })
    export.rows["account"] = _write(out, "account", account_rows)
    for wrong, count in sorted(fixed.items()):
        export.notes.append(f"accounts: '{wrong}' corrected to '{SPELLING[wrong]}' on {count} account(s)")

    product_by_key = {_key(p["product"]): p for p in products}
    export.rows["product_2"] = _write(out, "product_2", [
        {"id": p["product"], "name": p["product"], "family": p["series"], "is_active": "true", "is_deleted": "false"}
        for p in products
    ])

    opportunities, history, line_items = [], [], []
    renamed: Counter[tuple[str, str]] = Counter()
    unknown_products: Counter[str] = Counter()
    no_account = Counter()
    undated = 0
    for deal in pipeline:
        deal_id, stage = deal["opportunity_id"], deal["deal_stage"]
        closed = stage in CLOSED_STAGES
        amount = deal["close_value"] if closed else ""
        product = product_by_key.get(_key(deal["product"]))
        if product is None:
            unknown_products[deal["product"]] += 1
            product_id = deal["product"]
        else:
            product_id = product["product"]
            if product_id != deal["product"]:
                renamed[(deal["product"], product_id)] += 1
        if not deal["account"]:
            no_account[stage] += 1
        # created: when the deal was engaged; a prospect has no date but the export's own
        created = f"{deal['engage_date']} 00:00:00" if deal["engage_date"] else stamp
        undated += not deal["engage_date"]
        opportunities.append({
            "id": deal_id, "name": f"{product_id} for {deal['account'] or 'an unknown account'}",
            "account_id": deal["account"], "owner_id": deal["sales_agent"], "stage_name": stage, "amount": amount,
            "close_date": deal["close_date"], "created_date": created, "is_closed": str(closed).lower(),
            "is_won": str(stage == "Won").lower(), "is_deleted": "false", "last_modified_date": created,
        })
        stays = [("Engaging", f"{deal['engage_date']} 00:00:00")] if deal["engage_date"] else [(stage, stamp)]
        if closed:
            stays.append((stage, f"{deal['close_date']} 00:00:00"))
        for number, (stay_stage, at) in enumerate(stays, start=1):
            history.append({"id": f"{deal_id}-{number}", "opportunity_id": deal_id, "created_date": at,
                            "stage_name": stay_stage, "amount": amount if stay_stage in CLOSED_STAGES else "",
                            "close_date": deal["close_date"], "is_deleted": "false"})
        line_items.append({"id": f"{deal_id}-1", "opportunity_id": deal_id, "product_2_id": product_id,
                           "quantity": "1", "unit_price": amount, "total_price": amount, "is_deleted": "false"})
    export.rows["opportunity"] = _write(out, "opportunity", opportunities)
    export.rows["opportunity_history"] = _write(out, "opportunity_history", history)
    export.rows["opportunity_line_item"] = _write(out, "opportunity_line_item", line_items)

    for (written, product_id), count in sorted(renamed.items()):
        export.notes.append(f"deals: product '{written}' on {count:,} deal(s) matched to '{product_id}' of products.csv")
    for written, count in sorted(unknown_products.items()):
        export.notes.append(f"deals: product '{written}' on {count:,} deal(s) is not in products.csv; kept as its own id")
    if no_account:
        by_stage = ", ".join(f"{n:,} {s}" for s, n in sorted(no_account.items()))
        export.notes.append(f"deals: {sum(no_account.values()):,} open deal(s) have no account ({by_stage});"
                            " they count for their rep but for no account")
    export.notes.append(f"deals: {undated:,} Prospecting deal(s) carry no date; they are dated at the export"
                        f" ({last_day}), and open deals carry no amount (their pipeline value is unknown)")
    idle = sorted({t["sales_agent"] for t in teams} - {deal["sales_agent"] for deal in pipeline})
    if idle:
        export.notes.append(f"reps: {len(idle)} agent(s) have no deal and so no rep rows: {', '.join(idle)}")
    export.notes.append(f"missing: the dataset has no {', '.join(MISSING_TABLES)} table; their tables are created"
                        " empty, so the activity, lead, quota and rep-cost marts are empty")
    return export
