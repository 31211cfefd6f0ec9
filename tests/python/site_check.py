"""A real-browser check of a static report site: every page, at a laptop and a phone width.

`check_site(site_dir, screenshots_dir)` opens each .html file of the folder through a
file:// URL in headless Chromium (one browser session for all pages) and reports:

- console errors: every SEVERE entry of the browser log (uncaught script errors,
  console.error, resources that failed to load, CSS background images and fonts included);
- links: every `<a href>` to a relative path must name an existing file inside the site
  (a folder will not do: file:// shows a listing, not its index.html), and its #fragment,
  when it has one and points at a page, an element id of that page; root-relative
  (`/x.html`) and file:// links are wrong for a site opened from disk;
- assets: every `<img>`, `<link href>` and `<script src>` given as a relative path must name an
  existing file, each image must have decoded and each stylesheet must have loaded;
- charts: each `.chart` element must hold an `<svg>` whose bounding box has a non-zero
  width and height;
- layout: at the laptop width (1366x900) no visible element may stick out of the viewport
  horizontally (unless inside an element that clips or scrolls its overflow); at the phone
  width (390x844, emulated as a phone) the page must lay out at the phone's width (this needs
  `<meta name="viewport" content="width=device-width, initial-scale=1">`) and must not scroll
  sideways (scrollWidth > clientWidth + 1);
- a full-page screenshot of each page: `<screenshots_dir>/<page>.png` and `<page>.phone.png`
  (`reps/r01.html` gives `reps/r01.png`).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.python.browser import Chromium, ensure_chromium, start_driver

MAX_SCREENSHOT_HEIGHT = 20000  # px; longer pages are cut there


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool
    suffix: str  # added before .png


LAPTOP = Viewport("laptop", 1366, 900, mobile=False, suffix="")
PHONE = Viewport("phone", 390, 844, mobile=True, suffix=".phone")
VIEWPORTS = (LAPTOP, PHONE)


@dataclass(frozen=True)
class Problem:
    page: str  # relative to the site folder, e.g. reps/r01.html
    viewport: str  # laptop or phone
    kind: str  # console, link, asset, chart, overflow, page
    detail: str

    def __str__(self) -> str:
        return f"{self.page} [{self.viewport}] {self.kind}: {self.detail}"


@dataclass
class SiteReport:
    site: Path
    pages: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def of_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    def summary(self) -> str:
        head = (
            f"{self.site}: {len(self.pages)} pages at {', '.join(v.name for v in VIEWPORTS)} width,"
            f" {len(self.screenshots)} screenshots, {len(self.problems)} problems, {self.seconds:.1f} s"
        )
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


# One script per page load: everything the checks need, measured in the page.
_MEASURE = r"""
const doc = document.documentElement;
const vw = doc.clientWidth;
function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = el.getAttribute('class');
  if (cls) s += '.' + cls.trim().split(/\s+/).join('.');
  return s;
}
function where(el) {
  const parts = [];
  for (let e = el; e && e !== doc && parts.length < 4; e = e.parentElement) parts.unshift(describe(e));
  return parts.join(' > ');
}
function clipped(el) {
  for (let p = el.parentElement; p && p !== document.body && p !== doc; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
  }
  return false;
}
const sticking = new Set();
for (const el of document.body ? document.body.querySelectorAll('*') : []) {
  const r = el.getBoundingClientRect();
  if (r.width * r.height <= 1) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') continue;
  if ((r.right > vw + 1 || r.left < -1) && !clipped(el)) sticking.add(el);
}
const overflowing = [];
for (const el of sticking) {
  let outermost = true;
  for (let p = el.parentElement; p; p = p.parentElement) if (sticking.has(p)) { outermost = false; break; }
  if (outermost) {
    const r = el.getBoundingClientRect();
    overflowing.push({where: where(el), left: Math.round(r.left), right: Math.round(r.right)});
  }
}
const body = document.body;
return {
  viewportWidth: vw,
  innerWidth: window.innerWidth,
  scrollWidth: Math.max(doc.scrollWidth, body ? body.scrollWidth : 0),
  clientWidth: vw,
  overflowing: overflowing,
  ids: [...document.querySelectorAll('[id]')].map(e => e.id)
       .concat([...document.querySelectorAll('a[name]')].map(e => e.getAttribute('name'))),
  links: [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), url: a.href})),
  images: [...document.querySelectorAll('img')].map(i => ({
    raw: i.getAttribute('src'), url: i.currentSrc || i.src, complete: i.complete,
    decoded: i.naturalWidth > 0 || i.naturalHeight > 0, lazy: i.loading === 'lazy'})),
  linkTags: [...document.querySelectorAll('link[href]')].map(l => ({
    raw: l.getAttribute('href'), url: l.href, rel: (l.getAttribute('rel') || '').toLowerCase(),
    disabled: l.disabled, loaded: !!l.sheet})),
  scripts: [...document.querySelectorAll('script[src]')].map(s => ({raw: s.getAttribute('src'), url: s.src})),
  charts: [...document.querySelectorAll('.chart')].map((c, i) => ({
    name: where(c) + ' (chart ' + (i + 1) + ')',
    svgs: [...c.querySelectorAll('svg')].map(s => {
      const r = s.getBoundingClientRect();
      return [r.width, r.height];
    })})),
};
"""

_EXTERNAL_SCHEMES = ("http", "https", "mailto", "tel", "data")


def _local_target(raw: str, resolved: str, site: Path) -> tuple[Path | None, str | None]:
    """The file a relative reference names, or why it is wrong; (None, None) when external."""
    parts = urlsplit(raw)
    if parts.scheme in _EXTERNAL_SCHEMES:
        return None, None
    if parts.scheme == "file":
        return None, f"{raw!r} is a file:// URL (use a relative path)"
    if parts.scheme or raw.startswith("//"):
        return None, f"{raw!r} is not a relative path"
    if raw.startswith("/"):
        return None, f"{raw!r} is root-relative, which points outside the site under file:// (use a relative path)"
    path = Path(unquote(urlsplit(resolved).path))
    try:
        path.resolve().relative_to(site.resolve())
    except ValueError:
        return None, f"{raw!r} points outside the site folder"
    return path, None


def _check_reference(raw: str | None, resolved: str, site: Path) -> tuple[Path | None, str | None]:
    if raw is None or raw.strip() == "":
        return None, None
    path, error = _local_target(raw.strip(), resolved, site)
    if error or path is None:
        return None, error
    if path.is_dir():
        return None, f"{raw!r} is a folder; under file:// it shows a listing (link to its index.html)"
    if not path.is_file():
        return None, f"{raw!r} does not exist ({path.resolve().relative_to(site.resolve()).as_posix()})"
    return path, None


class _Checker:
    def __init__(self, driver: Any, site: Path, screenshots: Path | None, report: SiteReport) -> None:
        self.driver = driver
        self.site = site.resolve()
        self.screenshots = screenshots
        self.report = report
        self.ids: dict[Path, set[str]] = {}
        self.fragment_links: list[tuple[str, str, Path, str]] = []  # page, raw, target, fragment

    def problem(self, page: str, viewport: Viewport, kind: str, detail: str) -> None:
        self.report.problems.append(Problem(page, viewport.name, kind, detail))

    def set_viewport(self, viewport: Viewport) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": viewport.width, "height": viewport.height, "deviceScaleFactor": 1, "mobile": viewport.mobile,
        })

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]

    def check_page(self, path: Path, viewport: Viewport) -> None:
        page = path.relative_to(self.site).as_posix()
        self.console_errors()  # drop what an earlier page left
        try:
            self.driver.get(path.as_uri())
        except Exception as error:  # noqa: BLE001 - any failure to load is the page's problem
            self.problem(page, viewport, "page", f"did not load: {error}")
            return
        found: dict[str, Any] = self.driver.execute_script(_MEASURE)
        for message in self.console_errors():
            self.problem(page, viewport, "console", message)

        if viewport is LAPTOP:
            self.ids[path] = set(found["ids"])
            for link in found["links"]:
                target, error = _check_reference(link["raw"], link["url"], self.site)
                if error:
                    self.problem(page, viewport, "link", error)
                fragment = urlsplit(link["raw"] or "").fragment
                if target is not None and fragment and target.suffix == ".html":
                    self.fragment_links.append((page, link["raw"], target, unquote(fragment)))
        self.check_assets(page, viewport, found)
        self.check_charts(page, viewport, found["charts"])
        self.check_layout(page, viewport, found)
        self.screenshot(page, viewport)

    def check_assets(self, page: str, viewport: Viewport, found: dict[str, Any]) -> None:
        for image in found["images"]:
            target, error = _check_reference(image["raw"], image["url"], self.site)
            if error:
                self.problem(page, viewport, "asset", f"<img src> {error}")
            elif image["raw"] is None:
                self.problem(page, viewport, "asset", "<img> without src")
            elif image["complete"] and not image["decoded"] and not image["lazy"]:
                self.problem(page, viewport, "asset", f"<img src={image['raw']!r}> did not load or decode")
        for tag in found["linkTags"]:
            target, error = _check_reference(tag["raw"], tag["url"], self.site)
            if error:
                self.problem(page, viewport, "asset", f"<link rel={tag['rel']!r} href> {error}")
            elif "stylesheet" in tag["rel"].split() and not tag["disabled"] and not tag["loaded"]:
                self.problem(page, viewport, "asset", f"stylesheet {tag['raw']!r} did not load")
        for script in found["scripts"]:
            _, error = _check_reference(script["raw"], script["url"], self.site)
            if error:
                self.problem(page, viewport, "asset", f"<script src> {error}")

    def check_charts(self, page: str, viewport: Viewport, charts: list[dict[str, Any]]) -> None:
        for chart in charts:
            if not chart["svgs"]:
                self.problem(page, viewport, "chart", f"{chart['name']} holds no <svg>")
            elif not any(width > 0 and height > 0 for width, height in chart["svgs"]):
                sizes = ", ".join(f"{w:g}x{h:g}" for w, h in chart["svgs"])
                self.problem(page, viewport, "chart", f"{chart['name']}: its <svg> has no area ({sizes} px)")

    def check_layout(self, page: str, viewport: Viewport, found: dict[str, Any]) -> None:
        sticking = "; ".join(
            f"{o['where']} spans x {o['left']}..{o['right']}" for o in found["overflowing"][:5]
        ) + ("; ..." if len(found["overflowing"]) > 5 else "")
        if viewport.mobile and found["viewportWidth"] > viewport.width + 1:
            self.problem(
                page, viewport, "overflow",
                f"lays out {found['viewportWidth']} px wide on a {viewport.width} px phone: add"
                ' <meta name="viewport" content="width=device-width, initial-scale=1">',
            )
        elif viewport.mobile:
            if found["scrollWidth"] > found["clientWidth"] + 1:
                self.problem(
                    page, viewport, "overflow",
                    f"page scrolls sideways: scrollWidth {found['scrollWidth']} > clientWidth"
                    f" {found['clientWidth']}" + (f" ({sticking})" if sticking else ""),
                )
        elif found["overflowing"]:
            self.problem(page, viewport, "overflow", f"sticks out of the {found['viewportWidth']} px viewport: {sticking}")

    def screenshot(self, page: str, viewport: Viewport) -> None:
        if self.screenshots is None:
            return
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        width = max(viewport.width, int(content["width"] + 0.999))
        height = min(MAX_SCREENSHOT_HEIGHT, max(viewport.height, int(content["height"] + 0.999)))
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        })
        out = self.screenshots / (page.removesuffix(".html") + viewport.suffix + ".png")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))
        self.report.screenshots.append(out)

    def check_fragments(self) -> None:
        for page, raw, target, fragment in self.fragment_links:
            ids = self.ids.get(target)
            if ids is not None and fragment not in ids:
                self.problem(page, LAPTOP, "link", f"{raw!r}: no element with id {fragment!r} on that page")


def site_pages(site_dir: Path) -> list[Path]:
    return sorted(p for p in site_dir.rglob("*.html") if p.is_file())


def check_site(
    site_dir: Path | str,
    screenshots_dir: Path | str | None = None,
    *,
    driver: Any = None,
    chromium: Chromium | None = None,
    viewports: Iterable[Viewport] = VIEWPORTS,
) -> SiteReport:
    """Check every page of a static site in headless Chromium; see the module's docstring.

    `driver` is a selenium session to reuse (from `browser.start_driver`); without one a
    session is started for this call (Chromium installed first if need be) and quit after.
    No screenshots are written when `screenshots_dir` is None.
    """
    started = time.monotonic()
    site = Path(site_dir).resolve()
    report = SiteReport(site=site)
    pages = site_pages(site)
    report.pages = [p.relative_to(site).as_posix() for p in pages]
    if not (site / "index.html").is_file():
        report.problems.append(Problem("index.html", LAPTOP.name, "page", "the site has no index.html at its root"))
    if not pages:
        report.seconds = time.monotonic() - started
        return report
    own = driver is None
    if own:
        driver = start_driver(chromium or ensure_chromium())
    checker = _Checker(driver, site, Path(screenshots_dir) if screenshots_dir is not None else None, report)
    try:
        for viewport in viewports:
            checker.set_viewport(viewport)
            for page in pages:
                checker.check_page(page, viewport)
        checker.check_fragments()
    finally:
        try:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        finally:
            if own:
                driver.quit()
    report.seconds = time.monotonic() - started
    return report
