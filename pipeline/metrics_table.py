"""The `metrics` table: one row per canonical metric of a document (pipeline.extract.metrics).

Wiring: tables.py ``COLUMNS["metrics"] = METRICS_COLUMNS`` (before "errors") and, in
``document_rows``, ``rows["metrics"] = metric_rows(doc)``; store.py ``ORDER["metrics"] =
"doc_id, start, metric"``. The rows need the layout and quantities stages to have run on `doc`
(they read ``doc.quantities``); optionally run.STAGES gets ``("metrics", _extractor("metrics"))``
after quantities, which times the extraction and stores the records on ``doc.metrics``.

| column | type | meaning |
|---|---|---|
| doc_id | str | the document |
| metric | str | canonical key (resources/metrics.json), e.g. applications_new, applications_new.natural_person |
| label | str | the key's Chinese label (本年新收申请数) |
| value | float | the figure |
| unit | str | the key's unit (条, 件, 万元 …) |
| source | str | prose (a sentence of the text) or table (a cell of a 年度报告 statistics table) |
| row_label, column_label | str? | the template's row and column labels of a table cell (申请 table: 予以公开 / 自然人) |
| text, start, end | str, int, int | ``documents.text[start:end]``: the claim (prose), the cell's digits (table), the rows summed (a derived 不予公开 etc.) |
| quantity_start | int? | ``start`` of the quantities row the prose figure comes from |
"""
from __future__ import annotations

from functools import lru_cache

METRICS_COLUMNS: list[tuple[str, str]] = [
    ("doc_id", "string"), ("metric", "string"), ("label", "string"), ("value", "Float64"), ("unit", "string"),
    ("source", "string"), ("row_label", "string"), ("column_label", "string"), ("text", "string"), ("start", "Int64"),
    ("end", "Int64"), ("quantity_start", "Int64"),
]


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    from .extract.metrics import catalog
    return {c["key"]: c["label"] for c in catalog()}


def metric_rows(doc) -> list[dict]:
    """The metrics table rows of one processed document (plain dicts, picklable).

    Uses ``doc.metrics`` when a pipeline stage has set it (``("metrics", _extractor("metrics"))``
    in run.STAGES times the extraction like the other fields), else extracts them here.
    """
    from .extract.metrics import extract
    labels = _labels()
    found = getattr(doc, "metrics", None)
    if found is None:
        found = list(extract(doc))
    return [{"doc_id": doc.doc_id, "metric": m.metric, "label": labels.get(m.metric), "value": m.value,
             "unit": m.unit, "source": m.source, "row_label": m.row, "column_label": m.column, "text": m.text,
             "start": m.start, "end": m.end, "quantity_start": m.quantity_start}
            for m in found]


def metrics_frame(rows: list[dict]):
    """A DataFrame with the metrics columns in order and nullable dtypes (like tables.frame)."""
    import pandas as pd
    df = pd.DataFrame(rows, columns=[c for c, _ in METRICS_COLUMNS])
    return df.astype(dict(METRICS_COLUMNS))
