"""Demo CRM data: a synthetic sales org written as the raw tables of the contract.

The generator models a sales organisation (a VP, regional teams of account executives
and sales development reps with managers, hiring and attrition) and simulates what its
CRM records: leads, accounts, opportunities moving through the Salesforce standard
stages and between owners with their field history, in the account's currency with
dated exchange rates, products on deals, calls, emails, meetings and demos, quotas from
a planning tool, and what each user costs. Every metric of ../shared/spec/metrics.md has something to measure on it,
and reps differ through hidden traits so that the metrics separate good from weak.

Everything is vectorized with numpy (loops run over stages, generations and months,
never over rows), handed to DuckDB as Arrow tables, and string ids are built in SQL.
With `dirty=True` the tables are landed as text with the faults real loads bring, and
`_demo_injected_faults` names every affected row (see `faults.FaultInjector`).

Modules, in the order a run uses them (`generator` runs the stages in this order and
hands each one's result to the later ones as arguments): `config` (what to generate,
random streams), `calendar` (history window, working days, time zones, the office-hours
clock), `org` (users, seats and roles), `deals` (opportunities, built with `stages`,
`accounts`, `repeat`, `owners`, `currency`, `products` and `history`), `leads`,
`activities`, `quotas`, `costs`, `realism` (the run's benchmark figures), then `tables`
(Arrow data and SQL per raw table, with `sql`), `writer` and `faults` (dirty loads, at
the times of `loads`). `memory` tunes the allocator meanwhile; `constants`,
`lead_sources` and `arrays` are shared.
"""

from salesperf.demo.config import DemoConfig, GenerationSummary
from salesperf.demo.generator import generate
from salesperf.demo.stages import STAGES
from salesperf.demo.writer import MANIFEST_TABLE

__all__ = ["MANIFEST_TABLE", "STAGES", "DemoConfig", "GenerationSummary", "generate"]
