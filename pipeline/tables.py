"""Records -> rows -> DataFrames -> files (Parquet, CSV with BOM, Excel, DuckDB).

Column names and order follow shared/SCHEMA.md; extra columns come after the contract's.
"""
from __future__ import annotations

from pathlib import Path

from .document import Document
from .metrics_table import METRICS_COLUMNS, metric_rows

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "documents": [("doc_id", "string"), ("source", "string"), ("format", "string"), ("encoding", "string"),
                  ("text", "string"), ("title", "string"), ("doc_type", "string"), ("doc_number", "string"),
                  ("doc_number_agency", "string"), ("doc_number_year", "Int64"), ("doc_number_serial", "Int64"),
                  ("issuer", "string"), ("signer", "string"), ("date", "string"), ("printed_date", "string"),
                  ("published_date", "string"), ("period_year", "Int64"), ("province", "string"),
                  ("city", "string"), ("county", "string"), ("township", "string"), ("region_code", "string"),
                  ("region_candidates", "string"), ("chars", "Int64")],
    "items": [("doc_id", "string"), ("item_id", "Int64"), ("parent_id", "Int64"), ("level", "Int64"),
              ("marker", "string"), ("number", "Int64"), ("path", "string"), ("heading", "string"),
              ("text", "string"), ("start", "Int64"), ("end", "Int64"), ("category", "string")],
    "paragraphs": [("doc_id", "string"), ("paragraph_id", "Int64"), ("item_id", "Int64"), ("text", "string"),
                   ("start", "Int64"), ("end", "Int64"), ("category", "string"), ("score", "Float64")],
    "responsibilities": [("doc_id", "string"), ("item_id", "Int64"), ("item_number", "Int64"), ("role", "string"),
                         ("role_text", "string"), ("unit", "string"), ("catch_all", "boolean"),
                         ("text", "string"), ("start", "Int64"), ("end", "Int64")],
    "quantities": [("doc_id", "string"), ("item_id", "Int64"), ("paragraph_id", "Int64"), ("value", "Float64"),
                   ("unit", "string"), ("approx", "string"), ("is_total", "boolean"), ("subject", "string"),
                   ("text", "string"), ("start", "Int64"), ("end", "Int64")],
    "dates": [("doc_id", "string"), ("item_id", "Int64"), ("paragraph_id", "Int64"), ("text", "string"),
              ("start", "Int64"), ("end", "Int64"), ("date", "string"), ("precision", "string"), ("kind", "string")],
    "references": [("doc_id", "string"), ("title", "string"), ("doc_number", "string"), ("agency", "string"),
                   ("year", "Int64"), ("serial", "Int64"), ("text", "string"), ("start", "Int64"),
                   ("end", "Int64")],
    "metrics": METRICS_COLUMNS,
    "errors": [("source", "string"), ("stage", "string"), ("error", "string"), ("message", "string")],
}
TABLES = list(COLUMNS)


def document_rows(doc: Document) -> dict[str, list[dict]]:
    """All table rows of one processed document (plain dicts, picklable, cheap to stream)."""
    m, dn = doc.meta, doc.meta.doc_number
    region = m.extra.get("region", {})
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    rows["documents"].append({
        "doc_id": doc.doc_id, "source": doc.source, "format": doc.format, "encoding": doc.encoding,
        "text": doc.text, "title": m.title, "doc_type": m.doc_type,
        "doc_number": dn.normalized if dn else None, "doc_number_agency": dn.agency if dn else None,
        "doc_number_year": dn.year if dn else None, "doc_number_serial": dn.serial if dn else None,
        "issuer": m.issuer, "signer": m.signer, "date": m.date, "printed_date": m.printed_date,
        "published_date": m.published_date, "period_year": m.period_year,
        "province": region.get("province"), "city": region.get("city"), "county": region.get("county"),
        "township": region.get("township"), "region_code": region.get("code"),
        "region_candidates": region.get("candidates"), "chars": len(doc.text)})
    did = {"doc_id": doc.doc_id}
    for it in doc.items:
        rows["items"].append(did | {"item_id": it.item_id, "parent_id": it.parent_id, "level": it.level,
                                    "marker": it.marker, "number": it.number, "path": it.path,
                                    "heading": it.heading, "text": it.text, "start": it.start, "end": it.end,
                                    "category": it.category})
    for p in doc.paragraphs:
        rows["paragraphs"].append(did | {"paragraph_id": p.paragraph_id, "item_id": p.item_id, "text": p.text,
                                         "start": p.start, "end": p.end, "category": p.category,
                                         "score": p.score})
    for r in doc.responsibilities:
        rows["responsibilities"].append(did | {"item_id": r.item_id, "item_number": r.item_number, "role": r.role,
                                               "role_text": r.role_text, "unit": r.unit,
                                               "catch_all": r.catch_all, "text": r.text, "start": r.start,
                                               "end": r.end})
    for q in doc.quantities:
        rows["quantities"].append(did | {"item_id": q.item_id, "paragraph_id": q.paragraph_id, "value": q.value,
                                         "unit": q.unit, "approx": q.approx, "is_total": q.is_total,
                                         "subject": q.subject, "text": q.text, "start": q.start, "end": q.end})
    for d in doc.dates:
        rows["dates"].append(did | {"item_id": d.item_id, "paragraph_id": d.paragraph_id, "text": d.text,
                                    "start": d.start, "end": d.end, "date": d.date, "precision": d.precision,
                                    "kind": d.kind})
    for r in doc.references:
        rows["references"].append(did | {"title": r.title, "doc_number": r.doc_number, "agency": r.agency,
                                         "year": r.year, "serial": r.serial, "text": r.text, "start": r.start,
                                         "end": r.end})
    rows["metrics"] = metric_rows(doc)
    return rows


def error_row(source: str, stage: str, error: str, message: str) -> dict:
    return {"source": source, "stage": stage, "error": error, "message": message}


def frame(table: str, rows: list[dict]):
    """A DataFrame with the table's columns in contract order and nullable dtypes."""
    import pandas as pd
    cols = COLUMNS[table]
    df = pd.DataFrame(rows, columns=[c for c, _ in cols])
    return df.astype({c: t for c, t in cols})


def frames(rows: dict[str, list[dict]]) -> dict:
    return {t: frame(t, rows.get(t, [])) for t in TABLES}


def write_tables(dfs: dict, out: Path, fmt: str = "parquet") -> list[Path]:
    """Write every table atomically (temp file + rename): no reader sees a half-written file."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if fmt == "duckdb":
        import duckdb
        target = out / "zwgk.duckdb"
        tmp = out / ".zwgk.duckdb.tmp"
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        for name, df in dfs.items():
            con.register("_df", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _df')
            con.unregister("_df")
        con.close()
        tmp.replace(target)
        return [target]
    if fmt == "xlsx":
        target, tmp = out / "zwgk.xlsx", out / ".zwgk.xlsx.tmp"
        import pandas as pd
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in dfs.items():
                _excel_safe(df).to_excel(xw, sheet_name=name, index=False)
        tmp.replace(target)
        return [target]
    for name, df in dfs.items():
        target = out / f"{name}.{fmt}"
        tmp = out / f".{name}.{fmt}.tmp"
        if fmt == "parquet":
            _write_parquet(df, name, tmp)
        elif fmt == "csv":
            df.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            raise ValueError(f"unknown format {fmt!r}")
        tmp.replace(target)
        written.append(target)
    return written


_ARROW_TYPES = {"string": "string", "Int64": "int64", "Float64": "float64", "boolean": "bool"}


def arrow_schema(table: str):
    import pyarrow as pa
    return pa.schema([(c, pa.type_for_alias(_ARROW_TYPES[t])) for c, t in COLUMNS[table]])


def _write_parquet(df, table: str, path: Path) -> None:
    """Typed Parquet without pandas metadata: any reader sees plain int64/string columns with nulls
    (pandas reads them back as float/object with NaN, DuckDB as nullable BIGINT/VARCHAR)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    tab = pa.Table.from_pandas(df, schema=arrow_schema(table), preserve_index=False)
    pq.write_table(tab.replace_schema_metadata(None), path)


_EXCEL_CELL_LIMIT = 32767


def _excel_safe(df):
    """Excel cells hold at most 32,767 characters: long texts are cut there (Parquet keeps them whole)."""
    df = df.copy()
    for c in df.columns:
        if str(df[c].dtype) == "string":
            df[c] = df[c].str.slice(0, _EXCEL_CELL_LIMIT)
    return df
