"""The second implementation checked by hand: a tiny made-up CRM whose touches, follow-ups,
days from lead to close, funnel sums over three months and acquisitions are counted here
on paper, so the plain-Python definitions the marts are compared with are right too."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tests.python.independent import (
    Activity,
    customers,
    days_lead_to_close,
    deal_category,
    follow_up_counts,
    funnel_cells,
    touches,
    trailing,
)


def activity(day: str, what: str | None = None, who: str | None = None, *, owner: str = "R1",
             kind: str = "call", is_sales: bool = True, is_done: bool = True, outbound: bool = True) -> Activity:
    moment = datetime.fromisoformat(day)
    return Activity(owner, who, what, kind, is_sales, is_done, outbound and kind == "call", False, moment.date(),
                    moment)


def deal(*, closed: str | None = None, won: bool = False, category: str = "new_business", closer: str = "R1",
         account: str | None = None, amount: str = "0") -> dict:
    return {"is_closed": closed is not None, "is_won": won, "category": category, "closer": closer,
            "close_date": date.fromisoformat(closed) if closed else date(2026, 9, 30), "account": account,
            "amount": Decimal(amount)}


def lead(created: str, converted: str | None = None, into: str | None = None) -> dict:
    return {"owner": "R1", "created": datetime.fromisoformat(created), "source": None,
            "converted_date": date.fromisoformat(converted) if converted else None, "converted_opportunity": into}


# D1: won on 10 March, converted on 1 March from lead L1 (created 20 February).
# D2: open, not from a lead.  D3: lost on 5 March, one touch.  D4: no touch at all.
OPPORTUNITIES = {
    "D1": deal(closed="2026-03-10", won=True),
    "D2": deal(),
    "D3": deal(closed="2026-03-05"),
    "D4": deal(closed="2026-03-06"),
}
LEADS = {
    "L1": lead("2026-02-20 09:30:00", converted="2026-03-01", into="D1"),
    "L2": lead("2026-02-21 10:00:00"),  # never converted
}
ACTIVITIES = [
    activity("2026-02-22 10:00:00", who="L1"),             # D1 touch 1: on the lead before conversion
    activity("2026-03-01 16:00:00", who="L1"),             # D1 touch 2: on the day of conversion
    activity("2026-03-02 10:00:00", who="L1"),             # after conversion: not a touch
    activity("2026-03-01 11:00:00", what="D1", who="L1"),  # D1 touch 3: linked to both, counted once
    activity("2026-03-05 11:00:00", what="D1", kind="meeting"),  # D1 touch 4
    activity("2026-03-10 17:00:00", what="D1", kind="email"),    # D1 touch 5: on the close date
    activity("2026-03-11 09:00:00", what="D1"),            # after the close: not a touch
    activity("2026-03-04 09:00:00", what="D1", is_done=False),   # not completed
    activity("2026-03-04 10:00:00", what="D1", kind="other", is_sales=False),  # not a sales activity
    activity("2026-02-25 10:00:00", who="L2"),             # a lead never converted: no deal's touch
    activity("2026-03-20 10:00:00", what="D2"),            # open deal: every completed touch counts
    activity("2026-05-20 10:00:00", what="D2"),
    activity("2026-03-05 10:00:00", what="D3"),            # D3 touch 1: on its close date
]


def test_touches_and_follow_ups_by_hand() -> None:
    assert touches(ACTIVITIES, OPPORTUNITIES, LEADS) == {"D1": 5, "D2": 2, "D3": 1, "D4": 0}
    assert follow_up_counts(ACTIVITIES, OPPORTUNITIES, LEADS) == {"D1": 4, "D2": 1, "D3": 0, "D4": 0}


def test_without_the_lead_only_the_deals_own_touches_count() -> None:
    assert touches(ACTIVITIES, OPPORTUNITIES, {})["D1"] == 3  # the both-linked one, the meeting, the email


def test_a_conversion_after_as_of_does_not_count() -> None:
    # load_leads drops a conversion made after as_of: the lead then has no converted deal.
    leads = {"L1": lead("2026-02-20 09:30:00")}
    assert touches(ACTIVITIES, OPPORTUNITIES, leads)["D1"] == 3
    assert days_lead_to_close(OPPORTUNITIES, leads)["D1"] is None


def test_days_lead_to_close_by_hand() -> None:
    # 20 February (the lead's creation date, its time of day ignored) to 10 March: 18 days.
    assert days_lead_to_close(OPPORTUNITIES, LEADS) == {"D1": 18, "D2": None, "D3": None, "D4": None}
    # Still open: no days yet, though it came from a lead.
    leads = {**LEADS, "L3": lead("2026-03-01 08:00:00", converted="2026-03-02", into="D2")}
    assert days_lead_to_close(OPPORTUNITIES, leads)["D2"] is None
    # Two leads converted into one deal: the days run from the earlier created.
    leads = {**LEADS, "L0": lead("2026-02-10 23:59:00", converted="2026-03-01", into="D1")}
    assert days_lead_to_close(OPPORTUNITIES, leads)["D1"] == 28


def funnel_example() -> tuple[list[Activity], dict[str, dict]]:
    """R1 across a year end: 10 calls and 1 meeting in November, 20 calls in December,
    nothing in January, 5 calls, 2 meetings and 1 won deal in February, and 3 calls and
    one more won deal in March; a won renewal and a lost deal do not count, and R2's
    calls are R2's."""
    activities = (
        [activity("2025-11-03 10:00:00")] * 10 + [activity("2025-11-04 10:00:00", kind="meeting")]
        + [activity("2025-12-01 10:00:00")] * 20
        + [activity("2026-02-02 10:00:00")] * 5 + [activity("2026-02-03 10:00:00", kind="meeting")] * 2
        + [activity("2026-03-02 10:00:00")] * 3
        + [activity("2026-03-02 10:00:00", outbound=False)]  # inbound: not an outbound call
        + [activity("2026-03-02 11:00:00", is_done=False)]   # planned: not done
        + [activity("2026-02-02 10:00:00", owner="R2")] * 7
    )
    opportunities = {
        "W1": deal(closed="2026-02-27", won=True),
        "W2": deal(closed="2026-03-31", won=True),
        "W3": deal(closed="2026-02-10", won=True, category="renewal"),
        "L1": deal(closed="2026-02-11"),
        "W4": deal(closed="2026-02-12", won=True, closer="R2"),
    }
    return activities, opportunities


def test_funnel_months_by_hand() -> None:
    assert funnel_cells(*funnel_example()) == {
        ("R1", date(2025, 11, 1)): [10, 1, 0],
        ("R1", date(2025, 12, 1)): [20, 0, 0],
        ("R1", date(2026, 2, 1)): [5, 2, 1],
        ("R1", date(2026, 3, 1)): [3, 0, 1],
        ("R2", date(2026, 2, 1)): [7, 0, 1],
    }


def test_funnel_trailing_three_months_by_hand() -> None:
    cells = funnel_cells(*funnel_example())
    # m-2..m, across the year end; a month with nothing (January) adds nothing.
    assert trailing(cells, "R1", date(2026, 1, 1)) == [30, 1, 0]   # Nov + Dec + Jan
    assert trailing(cells, "R1", date(2026, 2, 1)) == [25, 2, 1]   # Dec + Jan + Feb
    assert trailing(cells, "R1", date(2026, 3, 1)) == [8, 2, 2]    # Jan + Feb + Mar: November is out
    assert trailing(cells, "R1", date(2026, 4, 1)) == [8, 2, 2]    # Feb + Mar + Apr
    assert trailing(cells, "R1", date(2026, 5, 1)) == [3, 0, 1]    # Mar + Apr + May
    assert trailing(cells, "R1", date(2026, 6, 1)) == [0, 0, 0]    # March is out of reach
    assert trailing(cells, "R2", date(2026, 3, 1)) == [7, 0, 1]    # another rep's cells stay apart
    # The 3-month rates of March: 2 meetings / 8 calls, 2 wins / 2 meetings, 2 wins / 8 calls.
    calls, meetings, won = trailing(cells, "R1", date(2026, 3, 1))
    assert (meetings / calls, won / meetings, won / calls) == (0.25, 1.0, 0.25)


def test_deal_categories_from_the_seed() -> None:
    assert [deal_category(t) for t in ("New Customer", "new business", "Existing Customer - Upgrade",
                                       "Existing Business - Upsell", "Existing Business",
                                       "existing customer - replacement", "Existing Business - Renewal",
                                       "Existing Customer - Downgrade", "Partner", None)] == [
        "new_business", "new_business", "upsell", "upsell", "upsell", "renewal", "renewal", "other", "other",
        "other"]


def test_acquisition_by_hand() -> None:
    """A1's first won deal (the smaller id on the tie) is new business: R1 acquired it,
    and its later upsell adds to its value. A2's first won deal is a renewal: a customer
    from before the history, acquired by nobody. A3 never won."""
    opportunities = {
        "006B": deal(closed="2026-01-05", won=True, closer="R2", account="A1", amount="100"),
        "006A": deal(closed="2026-01-05", won=True, closer="R1", account="A1", amount="200"),
        "006C": deal(closed="2026-03-01", won=True, category="upsell", closer="R2", account="A1", amount="50"),
        "006D": deal(closed="2026-02-01", won=True, category="renewal", closer="R1", account="A2", amount="70"),
        "006E": deal(closed="2026-03-01", won=True, closer="R1", account="A2", amount="30"),
        "006F": deal(closed="2026-03-01", account="A3", amount="999"),
        "006G": deal(closed="2026-01-20", won=True, category="other", closer="R2", account="A4", amount="10"),
        "006H": deal(closed="2026-04-02", won=True, closer="R3", account="A4", amount="40"),
    }
    for opp_id, lead_source in (
        ("006A", "Web"), ("006B", "Partner Referral"), ("006E", "Web"), ("006G", "Web"), ("006H", "Trade Show"),
    ):
        opportunities[opp_id]["lead_source"] = lead_source
    for opp_id in ("006C", "006D", "006F"):
        opportunities[opp_id]["lead_source"] = None
    assert customers(opportunities) == {
        "A1": {"first_deal": "006A", "first_won_date": date(2026, 1, 5), "lifetime_value": Decimal("350"),
               "acquiring_rep": "R1", "channel": "Web", "acquired_date": date(2026, 1, 5)},
        "A2": {"first_deal": "006D", "first_won_date": date(2026, 2, 1), "lifetime_value": Decimal("100"),
               "acquiring_rep": None, "channel": "existing customer", "acquired_date": None},
        # a first win of category other (a downgrade) is no sign of an earlier customer: the
        # first new business win acquired the account
        "A4": {"first_deal": "006G", "first_won_date": date(2026, 1, 20), "lifetime_value": Decimal("50"),
               "acquiring_rep": "R3", "channel": "Trade Show", "acquired_date": date(2026, 4, 2)},
    }
