"""Panel of canonical metrics by place and year, from the tables `zwgk extract` wrote.

`build_panel(out_dir)` joins the ``metrics`` table (pipeline.metrics_table) with ``documents``
and writes two tables into the same folder:

* ``panel_long``: one row per metric figure — region_code, province, city, county, township,
  year (documents.period_year), doc_type, metric, value, doc_id, start, end, then place, label,
  unit, source (prose/table) and text. ``documents.text[start:end]`` of ``doc_id`` is the
  figure's source, as everywhere in zwgk.
* ``panel_wide``: one row per place-year (region columns + place + year), one column per metric.

``place`` is the most specific division the document was resolved to (township, else county,
city, province); for documents without a resolved region it is the issuer with its office
suffix taken off (平潭综合实验区管委会办公室 -> 平潭综合实验区, 古木镇人民政府 -> 古木镇), so that
places stay apart before the region columns are filled.

Several figures for the same place, year and metric (a report says 2026条 in the text and in
its table; two documents of the same town) are reduced deterministically, in this order of
preference: a figure from a 年度报告 over one from any other document; a table cell over a prose
figure; then the largest value; ties by doc_id and offset.
"""
from __future__ import annotations

import re
from pathlib import Path

REGION_COLUMNS = ["region_code", "province", "city", "county", "township"]
LONG_COLUMNS = [("region_code", "string"), ("province", "string"), ("city", "string"), ("county", "string"),
                ("township", "string"), ("year", "Int64"), ("doc_type", "string"), ("metric", "string"),
                ("value", "Float64"), ("doc_id", "string"), ("start", "Int64"), ("end", "Int64"),
                ("place", "string"), ("label", "string"), ("unit", "string"), ("source", "string"),
                ("text", "string")]
WIDE_KEYS = REGION_COLUMNS + ["place", "year"]
FORMATS = ("parquet", "csv")
_NA_KEY = "\u241fNA\u241f"   # stands for a missing key while pivoting (pivot drops NA keys)

_OFFICE_SUFFIX_RE = re.compile(r"(?:人民政府办公室|人民政府办公厅|人民政府|管理委员会办公室|管理委员会|管委会办公室|管委会"
                               r"|党政综合办公室|党政办公室|党政办|办公室|管理局|办事处)$")


def place_name(region: dict, issuer: str | None) -> str | None:
    """The name a document's figures are filed under.

    >>> place_name({"township": "盏西镇", "county": "盈江县"}, "盏西镇人民政府")
    '盏西镇'
    >>> place_name({}, "平潭综合实验区管委会办公室")
    '平潭综合实验区'
    >>> place_name({}, "古木镇人民政府"), place_name({}, None)
    ('古木镇', None)
    """
    for level in ("township", "county", "city", "province"):
        v = region.get(level)
        if isinstance(v, str) and v:
            return v
    if not isinstance(issuer, str) or not issuer.strip():
        return None
    name = issuer.strip()
    while (short := _OFFICE_SUFFIX_RE.sub("", name)) != name and short:
        name = short
    return name


def read_table(out_dir: Path, name: str):
    """A table written by `zwgk extract` in any of its formats (Parquet, CSV, DuckDB); None if absent."""
    import pandas as pd
    out_dir = Path(out_dir)
    if (out_dir / f"{name}.parquet").exists():
        return pd.read_parquet(out_dir / f"{name}.parquet")
    if (out_dir / f"{name}.csv").exists():
        return pd.read_csv(out_dir / f"{name}.csv", encoding="utf-8-sig", dtype={"doc_id": str, "region_code": str})
    if (out_dir / "zwgk.duckdb").exists():
        import duckdb
        con = duckdb.connect(str(out_dir / "zwgk.duckdb"), read_only=True)
        try:
            if name in {r[0] for r in con.execute("SHOW TABLES").fetchall()}:
                return con.execute(f'SELECT * FROM "{name}"').df()
        finally:
            con.close()
    return None


def _recompute_metrics(documents):
    """Metrics rows for an output folder written before the metrics table existed: every
    document is processed again from documents.text (same text, same doc_id)."""
    from .document import Document
    from .metrics_table import metric_rows, metrics_frame
    from .run import process
    rows = []
    for r in documents.itertuples(index=False):
        doc = process(Document(r.text, source=r.source, format=r.format or "txt", encoding=r.encoding))
        rows.extend(metric_rows(doc))
    return metrics_frame(rows)


def _metric_order(keys) -> list[str]:
    from .extract.metrics import catalog
    known = [c["key"] for c in catalog()]
    present = set(keys)
    return [k for k in known if k in present] + sorted(present - set(known))


def build_panel(out_dir, fmt: str | None = "parquet", write: bool = True):
    """(long_df, wide_df) of the metrics in `out_dir`, written there as panel_long / panel_wide.

    `fmt`: "parquet" (default) or "csv" (UTF-8 with BOM, for Excel); `write=False` (or
    fmt=None) only returns the frames. Duplicates in a place-year are reduced as the module
    docstring says: 年度报告 first, then table over prose, then the largest value.
    """
    import pandas as pd
    out_dir = Path(out_dir)
    if fmt not in FORMATS and fmt is not None:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    documents = read_table(out_dir, "documents")
    if documents is None:
        raise FileNotFoundError(f"no documents table in {out_dir}: run `zwgk extract ... --out {out_dir}` first")
    metrics = read_table(out_dir, "metrics")
    if metrics is None:
        metrics = _recompute_metrics(documents)
    for col in REGION_COLUMNS:
        if col not in documents.columns:
            documents[col] = None
    docs = documents[["doc_id", "doc_type", "period_year", "issuer", *REGION_COLUMNS]].copy()
    docs["place"] = [place_name({c: getattr(r, c) for c in REGION_COLUMNS}, r.issuer)
                     for r in docs.itertuples(index=False)]
    cols = [c for c in ("doc_id", "metric", "label", "value", "unit", "source", "text", "start", "end")
            if c in metrics.columns]
    long = metrics[cols].merge(docs, on="doc_id", how="inner").rename(columns={"period_year": "year"})
    for c, _ in LONG_COLUMNS:
        if c not in long.columns:
            long[c] = None
    long = long[[c for c, _ in LONG_COLUMNS]].astype(dict(LONG_COLUMNS))
    long = long.sort_values(["place", "year", "metric", "doc_id", "start"], na_position="last",
                            kind="stable").reset_index(drop=True)
    wide = _wide(long)
    if write and fmt:
        _write(long, out_dir / f"panel_long.{fmt}", fmt)
        _write(wide, out_dir / f"panel_wide.{fmt}", fmt)
    return long, wide


def _wide(long):
    """One row per place-year; each metric cell is the preferred figure of that place-year."""
    import pandas as pd
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in LONG_COLUMNS if c in WIDE_KEYS})[WIDE_KEYS]
    ranked = long.assign(_report=(long["doc_type"] == "年度报告").fillna(False).astype(int),
                         _table=(long["source"] == "table").fillna(False).astype(int))
    ranked = ranked.sort_values(["_report", "_table", "value", "doc_id", "start"],
                                ascending=[False, False, False, True, True], kind="stable")
    best = ranked.drop_duplicates(WIDE_KEYS + ["metric"], keep="first")
    keyed = best.copy()
    for c in WIDE_KEYS:   # pivot does not keep NA keys: use a sentinel, restore it after
        keyed[c] = keyed[c].astype("object").where(keyed[c].notna(), _NA_KEY)
    wide = keyed.pivot(index=WIDE_KEYS, columns="metric", values="value").reset_index()
    wide.columns.name = None
    for c in WIDE_KEYS:
        wide[c] = wide[c].where(wide[c] != _NA_KEY, None)
    wide = wide.astype({"year": "Int64", **{c: "string" for c in WIDE_KEYS if c != "year"}})
    metric_cols = _metric_order([c for c in wide.columns if c not in WIDE_KEYS])
    wide = wide[WIDE_KEYS + metric_cols].astype({m: "Float64" for m in metric_cols})
    return wide.sort_values(["place", "year"], na_position="last", kind="stable").reset_index(drop=True)


def _write(df, target: Path, fmt: str) -> None:
    """Atomic write (temp file + rename), like pipeline.tables."""
    tmp = target.with_name(f".{target.name}.tmp")
    if fmt == "parquet":
        df.to_parquet(tmp, index=False)
    else:
        df.to_csv(tmp, index=False, encoding="utf-8-sig")
    tmp.replace(target)
