"""`salesperf report`: Markdown pages with SQL and chart components, rendered into a static site."""

from salesperf.reports.engine import RenderSummary, ReportError, render_site

__all__ = ["RenderSummary", "ReportError", "render_site"]
