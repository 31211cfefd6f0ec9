"""Tooling around the salesperf dbt project: demo CRM data, CSV loading, reports."""

__version__ = "0.1.0"
