"""The components a page calls: charts drawn as inline SVG by matplotlib at render time,
big values, gauges and tables as plain HTML. Each returns markup that is safe to insert:
every value from the warehouse is escaped, and every number carries its exact value in a
`data-value` attribute so that tests (and readers' tools) can check it against the marts.

An empty result gives an explicit "No data" block, never an empty chart."""

from __future__ import annotations

import io
import itertools
import re
from contextvars import ContextVar
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("svg")

from markupsafe import Markup, escape  # noqa: E402
from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from salesperf.reports.data import Result, as_number, plain  # noqa: E402

rcParams.update({
    "svg.fonttype": "none",  # text stays text: smaller, selectable, styled by the page's font
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa0a6",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e3e6ea",
    "axes.prop_cycle": matplotlib.cycler(color=[
        "#2f6fb0", "#e08a2e", "#3a9a5b", "#c0463c", "#7d5ba6", "#8c6d46", "#d16ba5", "#6b7280",
        "#b5a530", "#2aa3b5",
    ]),
})

FORMATS: dict[str, Callable[[float], str]] = {
    "usd": lambda v: f"${v:,.0f}",
    "usd_short": lambda v: _short(v, "$"),
    "pct": lambda v: f"{v * 100:.1f}%",
    "num": lambda v: f"{v:,.0f}",
    "dec": lambda v: f"{v:,.2f}",
    "days": lambda v: f"{v:,.1f} d",
    "ratio": lambda v: f"{v:,.2f}×",
}

_chart_ids = itertools.count(1)
# the way from the page being rendered to the site root ('' or '../'), for links in tables
LINK_ROOT: ContextVar[str] = ContextVar("LINK_ROOT", default="")


def _short(value: float, prefix: str = "") -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{prefix}{value / size:,.1f}{suffix}"
    return f"{prefix}{value:,.0f}"


def fmt(value: Any, style: str | None = None) -> str:
    """A cell as a reader sees it: numbers in the given style, dates as ISO, null as a dash."""
    if value is None:
        return "–"
    number = as_number(value)
    if number is not None:
        if style:
            return FORMATS[style](number)
        return f"{number:,.0f}" if number == int(number) and abs(number) < 1e15 else f"{number:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()[:19]
    return str(value)


def _label(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()[:10]
    return "–" if value is None else str(value)


def no_data(title: str | None, component: str) -> Markup:
    heading = Markup("<h3>{}</h3>").format(title) if title else Markup("")
    return Markup('<div class="no-data" data-component="{}">{}<p>No data</p></div>').format(component, heading)


def _require(data: Result, *columns: str | None) -> None:
    for column in columns:
        if column and column not in data.columns:
            raise KeyError(f"query {data.name!r} has no column {column!r} (it has {', '.join(data.columns)})")


def _svg(fig: Figure) -> Markup:
    """The figure as an inline <svg> with a viewBox, ids unique on the page, no XML prolog."""
    chart_id = next(_chart_ids)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"c{chart_id}"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # ids that would clash between charts of one page (the default style block, patches)
    text = re.sub(r'id="([A-Za-z_][\w.-]*)"', lambda m: f'id="c{chart_id}-{m.group(1)}"', text)
    text = re.sub(r'url\(#([\w.-]+)\)', lambda m: f"url(#c{chart_id}-{m.group(1)})", text)
    text = re.sub(r'xlink:href="#([\w.-]+)"', lambda m: f'xlink:href="#c{chart_id}-{m.group(1)}"', text)
    text = text.replace("<svg ", '<svg role="img" ', 1)
    return Markup(text)


def _figure(width: float = 7.0, height: float = 3.2) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _axis_format(ax: Any, style: str | None) -> None:
    if style:
        short = {"usd": "usd_short", "num": None}.get(style, style)
        formatter = FORMATS[short] if short else (lambda v: _short(v))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: formatter(v)))


def _series(data: Result, x: str, y: str | Sequence[str], series: str | None) -> tuple[list[Any], dict[str, list[float]]]:
    """x values in order of appearance, and one list of y values per series (0 where absent)."""
    ys = [y] if isinstance(y, str) else list(y)
    xs: list[Any] = []
    for value in data.column(x):
        if value not in xs:
            xs.append(value)
    lines: dict[str, list[float]] = {}
    if series:
        for row in data:
            name = _label(row[series])
            values = lines.setdefault(name, [0.0] * len(xs))
            values[xs.index(row[x])] += as_number(row[ys[0]]) or 0.0
    else:
        for column in ys:
            values = [0.0] * len(xs)
            for row in data:
                values[xs.index(row[x])] += as_number(row[column]) or 0.0
            lines[column] = values
    return xs, lines


def _wrap(component: str, title: str | None, svg: Markup, data: Result, caption: str | None = None) -> Markup:
    heading = Markup("<h3>{}</h3>").format(title) if title else Markup("")
    note = Markup("<figcaption>{}</figcaption>").format(caption) if caption else Markup("")
    return Markup('<figure class="chart" data-component="{}" data-query="{}" data-rows="{}">{}{}{}</figure>').format(
        component, data.name, len(data), heading, svg, note)


def bar_chart(data: Result, x: str, y: str | Sequence[str], series: str | None = None, title: str | None = None,
              fmt: str | None = None, stacked: bool = True, horizontal: bool = False) -> Markup:
    """Bars of y by x; with `series`, one colour per series value, stacked unless told not to."""
    if not data:
        return no_data(title, "bar_chart")
    _require(data, x, series, *([y] if isinstance(y, str) else y))
    xs, lines = _series(data, x, y, series)
    labels = [_label(v) for v in xs]
    fig, ax = _figure(height=max(3.2, 0.28 * len(xs)) if horizontal else 3.2)
    positions = list(range(len(xs)))
    base = [0.0] * len(xs)
    width = 0.8 if stacked or len(lines) == 1 else 0.8 / len(lines)
    for i, (name, values) in enumerate(lines.items()):
        offset = [p + (0 if stacked or len(lines) == 1 else (i - (len(lines) - 1) / 2) * width) for p in positions]
        draw = ax.barh if horizontal else ax.bar
        kwargs = {"left" if horizontal else "bottom": base} if stacked else {}
        draw(offset, values, width if not horizontal else width, label=name, **kwargs)
        if stacked:
            base = [b + v for b, v in zip(base, values)]
    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        if fmt:
            short = {"usd": "usd_short"}.get(fmt, fmt)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: FORMATS[short](v)))
    else:
        ax.set_xticks(positions, labels, rotation=30 if len(xs) > 6 else 0, ha="right" if len(xs) > 6 else "center")
        _axis_format(ax, fmt)
    if len(lines) > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return _wrap("bar_chart", title, _svg(fig), data)


def _over_time(component: str, data: Result, x: str, y: str | Sequence[str], series: str | None,
               title: str | None, fmt: str | None, area: bool) -> Markup:
    if not data:
        return no_data(title, component)
    _require(data, x, series, *([y] if isinstance(y, str) else y))
    xs, lines = _series(data, x, y, series)
    order = sorted(range(len(xs)), key=lambda i: (xs[i] is None, xs[i]))
    xs = [xs[i] for i in order]
    lines = {name: [values[i] for i in order] for name, values in lines.items()}
    fig, ax = _figure()
    if area:
        ax.stackplot(xs, *lines.values(), labels=list(lines), alpha=0.85)
    else:
        for name, values in lines.items():
            ax.plot(xs, values, marker="o", markersize=3, label=name)
    if xs and isinstance(xs[0], date):
        fig.autofmt_xdate()
    _axis_format(ax, fmt)
    if len(lines) > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return _wrap(component, title, _svg(fig), data)


def line_chart(data: Result, x: str, y: str | Sequence[str], series: str | None = None, title: str | None = None,
               fmt: str | None = None) -> Markup:
    """One line per y column (or per value of `series`) over x, usually a month."""
    return _over_time("line_chart", data, x, y, series, title, fmt, area=False)


def area_chart(data: Result, x: str, y: str | Sequence[str], series: str | None = None, title: str | None = None,
               fmt: str | None = None) -> Markup:
    """Stacked areas over x: the parts of a whole over time (pipeline by stage)."""
    return _over_time("area_chart", data, x, y, series, title, fmt, area=True)


def funnel(data: Result, stage: str, value: str, title: str | None = None, fmt: str | None = None) -> Markup:
    """Centred bars, one per stage in the query's order, each with its value and its share of the
    stage before (the step's conversion rate)."""
    if not data:
        return no_data(title, "funnel")
    _require(data, stage, value)
    labels = [_label(v) for v in data.column(stage)]
    values = [as_number(v) or 0.0 for v in data.column(value)]
    top = max(values) or 1.0
    fig, ax = _figure(height=0.55 * len(values) + 0.6)
    positions = list(range(len(values)))
    ax.barh(positions, values, left=[(top - v) / 2 for v in values], color="#2f6fb0", height=0.7)
    for i, v in enumerate(values):
        step = f"  ({v / values[i - 1] * 100:.1f}% of previous)" if i and values[i - 1] else ""
        ax.text(top / 2, i, f"{FORMATS[fmt](v) if fmt else f'{v:,.0f}'}{step}", ha="center", va="center",
                color="white" if v > top * 0.45 else "#1f2933", fontsize=9)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_visible(False)
    steps = Markup("").join(
        Markup('<li><span class="label">{}</span> <span class="value" data-value="{}">{}</span></li>').format(
            label, plain(raw), fmt_value(raw, fmt))
        for label, raw in zip(labels, data.column(value)))
    return _wrap("funnel", title, _svg(fig) + Markup('<ol class="funnel-steps">{}</ol>').format(steps), data)


def fmt_value(value: Any, style: str | None) -> str:
    return fmt(value, style)


def big_value(data: Result, value: str, comparison: str | None = None, title: str | None = None,
              fmt: str | None = None, comparison_title: str = "vs previous period", down_is_good: bool = False) -> Markup:
    """The first row's `value`, large, with its change against `comparison` (the previous
    period's value, a column of the same row)."""
    title = title or value.replace("_", " ")
    if not data:
        return no_data(title, "big_value")
    _require(data, value, comparison)
    row = data.first
    current = row[value]
    change = Markup("")
    if comparison:
        before = row[comparison]
        a, b = as_number(current), as_number(before)
        if a is None or b is None:
            change = Markup('<p class="delta">no comparison</p>')
        else:
            delta = a - b
            direction = "flat" if delta == 0 else ("up" if delta > 0 else "down")
            good = "neutral" if delta == 0 else ("good" if (delta > 0) != down_is_good else "bad")
            shown = (f"{delta * 100:+.1f} pts" if fmt == "pct" else
                     ("+" if delta >= 0 else "−") + fmt_value(abs(delta), fmt))
            change = Markup('<p class="delta {} {}" data-value="{}" data-previous="{}">{} {} (was {})</p>').format(
                direction, good, plain(delta), plain(before), shown, comparison_title, fmt_value(before, fmt))
    return Markup('<div class="big-value" data-component="big_value" data-query="{}" data-column="{}">'
                  '<p class="title">{}</p><p class="value" data-value="{}">{}</p>{}</div>').format(
        data.name, value, title, plain(current), fmt_value(current, fmt), change)


def gauge(data: Result, value: str, target: str | None = None, expected: str | None = None,
          title: str | None = None, fmt: str | None = None, target_value: float | None = None) -> Markup:
    """Pacing: the first row's `value` as a bar against its `target` (a column, or 1.0 for a
    ratio), with a mark where `expected` (what should be done by today) stands."""
    title = title or value.replace("_", " ")
    if not data:
        return no_data(title, "gauge")
    _require(data, value, target, expected)
    row = data.first
    actual = as_number(row[value])
    goal = as_number(row[target]) if target else (target_value if target_value is not None else 1.0)
    mark = as_number(row[expected]) if expected else None
    if actual is None or not goal:
        return no_data(title, "gauge")
    top = max(goal, actual, mark or 0.0) * 1.08
    fig = Figure(figsize=(6.0, 1.1))
    ax = fig.add_subplot()
    ax.barh([0], [top], color="#eef1f4", height=0.8)
    ax.barh([0], [goal], color="#dfe5ec", height=0.8)
    colour = "#3a9a5b" if actual >= (mark if mark is not None else goal) else "#e08a2e"
    ax.barh([0], [actual], color=colour, height=0.4)
    ax.axvline(goal, color="#1f2933", linewidth=2)
    if mark is not None:
        ax.axvline(mark, color="#c0463c", linewidth=1.5, linestyle="--")
    ax.set_xlim(0, top)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    short = {"usd": "usd_short"}.get(fmt or "", fmt)
    if short:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: FORMATS[short](v)))
    legend = Markup('<p class="gauge-legend"><span data-value="{}" class="actual">{} done</span> · '
                    '<span data-value="{}" class="target">target {}</span>{}</p>').format(
        plain(row[value]), fmt_value(row[value], fmt), plain(row[target]) if target else plain(goal),
        fmt_value(row[target] if target else goal, fmt),
        Markup(' · <span data-value="{}" class="expected">expected by today {}</span>').format(
            plain(row[expected]), fmt_value(row[expected], fmt)) if expected else Markup(""))
    return _wrap("gauge", title, _svg(fig) + legend, data)


def data_table(data: Result, columns: Sequence[str] | None = None, sort: str | None = None, desc: bool = True,
               title: str | None = None, formats: dict[str, str] | None = None, limit: int | None = None,
               links: dict[str, str] | None = None, labels: dict[str, str] | None = None,
               key: str | None = None) -> Markup:
    """A table pre-sorted on `sort` (stated above it), every cell with its exact `data-value`,
    which assets/sort.js reads to sort on a click of a column's header.
    `links` maps a column to a page path pattern, e.g. {'rep_name': 'reps/{rep_id}.html'};
    `key` names a column (shown or not) whose value each row carries as `data-key`."""
    heading = title
    if not data:
        return no_data(heading, "data_table")
    columns = list(columns or data.columns)
    _require(data, sort, key, *columns)
    formats, links, labels = formats or {}, links or {}, labels or {}
    rows = list(data)
    if sort:
        present = [r for r in rows if r[sort] is not None]
        missing = [r for r in rows if r[sort] is None]
        rows = sorted(present, key=lambda r: r[sort], reverse=desc) + missing
    shown = rows[:limit] if limit else rows
    order = (Markup('<p class="sort-note">Sorted by <strong>{}</strong>, {}{}.</p>').format(
        labels.get(sort, sort.replace("_", " ")), "largest first" if desc else "smallest first",
        f"; first {len(shown)} of {len(rows)} rows" if len(shown) < len(rows) else "")
        if sort else Markup('<p class="sort-note">In the order of the query{}.</p>').format(
            f"; first {len(shown)} of {len(rows)} rows" if len(shown) < len(rows) else ""))
    head = Markup("").join(
        Markup('<th scope="col" class="{}"{}>{}</th>').format(
            "num" if _numeric(data, c) else "text",
            Markup(' aria-sort="{}"').format("descending" if desc else "ascending") if c == sort else Markup(""),
            labels.get(c, c.replace("_", " ")))
        for c in columns)
    body = Markup("").join(
        Markup("<tr{}>{}</tr>").format(
            Markup(' data-key="{}"').format(plain(row[key])) if key else Markup(""),
            Markup("").join(_cell(row, c, formats.get(c), links.get(c)) for c in columns))
        for row in shown)
    caption = Markup("<h3>{}</h3>").format(heading) if heading else Markup("")
    return Markup('<div class="table" data-component="data_table" data-query="{}" data-sort="{}" data-rows-shown="{}"'
                  ' data-rows-total="{}">{}{}<div class="scroll"><table><thead><tr>{}</tr></thead><tbody>{}</tbody>'
                  '</table></div></div>').format(
        data.name, sort or "", len(shown), len(rows), caption, order, head, body)


def _numeric(data: Result, column: str) -> bool:
    return any(as_number(row[column]) is not None for row in data)


def _cell(row: dict[str, Any], column: str, style: str | None, link: str | None) -> Markup:
    value = row[column]
    text = fmt_value(value, style)
    number = as_number(value) is not None
    if link:
        href = LINK_ROOT.get() + link.format(**{k: plain(v) for k, v in row.items()})
        content = Markup('<a href="{}">{}</a>').format(href, text)
    else:
        content = Markup("{}").format(text)
    return Markup('<td class="{}" data-column="{}" data-value="{}">{}</td>').format(
        "num" if number else "text", column, plain(value), content)


COMPONENTS = {
    "bar_chart": bar_chart,
    "line_chart": line_chart,
    "area_chart": area_chart,
    "funnel": funnel,
    "big_value": big_value,
    "gauge": gauge,
    "data_table": data_table,
    "fmt": fmt,
}
