"""The `zwgk` command."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Arrow's default allocator (mimalloc) keeps what it freed: after sorting the final tables bucket by
# bucket, the process would stay at its largest size. The system allocator gives memory back. Read by
# pyarrow when it is first imported, so set before anything imports it.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

FORMATS = ("parquet", "csv", "xlsx", "duckdb")


def _extract(a) -> int:
    from .batch import run_batch
    missing = [p for p in a.inputs if not Path(p).exists()]
    if missing:
        print(f"zwgk: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    summary = run_batch(a.inputs, a.out, fmt=a.format, jobs=a.jobs, timeout=a.timeout,
                        progress=False if a.quiet else None, engine=a.engine, scheduler=a.scheduler,
                        batch_docs=a.batch_size)
    print(summary.text())
    return 0


def _train(a) -> int:
    from .train import train
    m = train(a.labels, a.model)
    cv = m["cross_validation"]
    print(f"model: {a.model}  cross-validation ({cv['scheme']}): macro-F1 {cv['macro_f1']:.3f}, "
          f"accuracy {cv['accuracy']:.3f}")
    for name, v in m["comparison"].items():
        print(f"  {name:18s} macro-F1 {v['macro_f1']:.3f}  accuracy {v['accuracy']:.3f}")
    return 0


def _audit(a) -> int:
    from .audit.report import write_audit
    if not any((Path(a.out) / f"documents.{ext}").exists() for ext in ("parquet", "csv")):
        print(f"zwgk: no tables in {a.out} (run `zwgk extract ... --out {a.out}` first)", file=sys.stderr)
        return 2
    s = write_audit(a.out, max_docs=a.max_docs)
    print(f"{s['findings']} findings: {s['error']} errors, {s['warning']} warnings, {s['info']} info; "
          f"{s['plan_items']} plan items compared with their reports")
    print("written: " + ", ".join(s["written"]))
    return 0


def _panel(a) -> int:
    from .panel import build_panel
    try:
        long, wide = build_panel(a.out, fmt=a.format)
    except FileNotFoundError as exc:
        print(f"zwgk: {exc}", file=sys.stderr)
        return 2
    metrics = [c for c in wide.columns if c not in ("region_code", "province", "city", "county", "township",
                                                    "place", "year")]
    print(f"panel: {len(long)} figures from {long['doc_id'].nunique()} documents; "
          f"{len(wide)} place-years x {len(metrics)} metrics")
    print("written: " + ", ".join(str(Path(a.out) / f"panel_{k}.{a.format}") for k in ("long", "wide")))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="zwgk",
        description="Normalized tables from Chinese local-government 政务公开 documents "
                    "(txt in UTF-8/GB18030/UTF-16, html, docx, pdf with a text layer).")
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser(
        "extract", help="extract the tables of SCHEMA.md from files and folders",
        description="Read every file under INPUT (folders are searched recursively) and write one file per "
                    "table (documents, items, paragraphs, responsibilities, quantities, dates, references, "
                    "errors) into OUT. Files that cannot be read get a row in errors with the reason. Results "
                    "are committed to OUT as they come: a run that is stopped or killed can be started again "
                    "with the same command and skips what is done.")
    ex.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    ex.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    ex.add_argument("--format", choices=FORMATS, default="parquet",
                    help="parquet (default; pandas/DuckDB), csv (UTF-8 with BOM, opens in Excel), "
                         "xlsx (one sheet per table), duckdb (one database file)")
    ex.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ex.add_argument("--timeout", type=float, default=120.0,
                    help="seconds allowed per document before it is stopped and recorded in errors (default 120)")
    ex.add_argument("--engine", choices=("processes", "dask"), default="processes",
                    help="processes: worker processes on this machine (default); dask: a Dask cluster "
                         "(a local one, or --scheduler ADDRESS), optional extra zwgk[dask]")
    ex.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    ex.add_argument("--batch-size", type=int, default=200,
                    help="documents per committed batch: what a killed run can lose at most (default 200)")
    ex.add_argument("--quiet", action="store_true", help="no progress output")
    ex.set_defaults(func=_extract)

    from .classify import MODEL_PATH
    tr = sub.add_parser(
        "train", help="fit the paragraph classifier on corpus/labels and save it to models/",
        description="Fit the key-area classifier on the labeled paragraphs, measure it with cross-validation "
                    "grouped by document against a character-only variant, a spacy-pkuseg variant (when "
                    "`make pkuseg` has installed its model) and a keyword baseline, and save the model (skops) "
                    "with metrics.json beside it.")
    tr.add_argument("--labels", type=Path, default=MODEL_PATH.parents[1] / "corpus" / "labels",
                    help="folder of part*.jsonl label files (default: corpus/labels)")
    tr.add_argument("--model", type=Path, default=MODEL_PATH, help="where to save the model")
    tr.set_defaults(func=_train)

    au = sub.add_parser(
        "audit", help="check the claimed figures of an output folder and write findings and audit.html",
        description="Audit the tables in OUT (written by `zwgk extract`): totals against their parts, the "
                    "annual-report identity, claims restated with other numbers, year-over-year jumps, "
                    "paragraphs copied between townships or years, plan items without a reported outcome. "
                    "Writes OUT/findings.parquet, OUT/findings.csv (UTF-8 with BOM), OUT/coverage.parquet "
                    "and a self-contained OUT/audit.html.")
    au.add_argument("out", type=Path, metavar="OUT", help="output folder of `zwgk extract`")
    au.add_argument("--max-docs", type=int, default=2000,
                    help="documents shown with their text in audit.html (flagged ones first; default 2000)")
    au.set_defaults(func=_audit)

    pa = sub.add_parser(
        "panel", help="metrics by place and year from the tables in OUT (after zwgk extract)",
        description="Join the metrics and documents tables that `zwgk extract` wrote into OUT and write "
                    "panel_long (one row per figure, with region, year, doc_type, doc_id and offsets) and "
                    "panel_wide (one row per place-year, one column per metric; a 年度报告 figure wins over "
                    "others, a table cell over prose, then the largest value) into OUT.")
    pa.add_argument("out", type=Path, metavar="OUT", help="the output folder of zwgk extract")
    pa.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                    help="parquet (default) or csv (UTF-8 with BOM, opens in Excel)")
    pa.set_defaults(func=_panel)
    return ap


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
