"""zwgk: normalized tables from Chinese local-government 政务公开 documents.

Public API (shared/SCHEMA.md):
- extract_text(text, source) -> dict of DataFrames, one per table
- extract_paths(paths, out, ...) -> batch extraction to files (see pipeline.batch)
- numbers.parse_number, dates.parse_date: the normalizers

Nothing heavy loads at import time: pandas, jieba, spaCy and scikit-learn are imported by the
functions that need them.
"""
from __future__ import annotations

__all__ = ["extract_text", "extract_paths", "process_text"]
__version__ = "0.1.0"


def process_text(text: str, source: str = "<text>"):
    """Run every stage on one text and return the processed Document (records, not tables)."""
    from .run import process_text as _process_text
    return _process_text(text, source)


def extract_text(text: str, source: str = "<text>") -> dict:
    """The tables of shared/SCHEMA.md for one document given as text, as pandas DataFrames."""
    from .tables import document_rows, frames
    doc = process_text(text, source)
    return frames(document_rows(doc))


def extract_paths(paths, out, **kw):
    """Batch extraction of files and folders into table files in `out` (see pipeline.batch.run_batch)."""
    from .batch import run_batch
    return run_batch(paths, out, **kw)
