"""Audit of claimed figures: checks over the tables of an output folder (issue 7).

- `pipeline.audit.checks.run_checks(OUT)` -> (findings, coverage) DataFrames
- `pipeline.audit.report.write_audit(OUT)` -> OUT/findings.parquet, findings.csv, audit.html

`zwgk audit OUT` runs both. Nothing heavy loads at import time.
"""
from __future__ import annotations

__all__ = ["run_checks", "write_audit"]


def run_checks(out, **kw):
    from .checks import run_checks as _run
    return _run(out, **kw)


def write_audit(out, **kw):
    from .report import write_audit as _write
    return _write(out, **kw)
