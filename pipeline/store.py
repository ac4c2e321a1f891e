"""Streaming, crash-safe storage of a batch run.

Rows arrive in batches and are written to `OUT/.zwgk/parts/<table>/part-NNNNNN.parquet`; a batch is
committed by its marker `OUT/.zwgk/commits/part-NNNNNN.json` (the inputs it covers, with their content
hashes), written last and atomically. A part without a marker was interrupted and is ignored (and
removed) on the next run, so a run killed at any moment loses nothing committed, and a resumed run
skips every input whose content hash is committed. `finish` sorts the committed parts into the final
tables, so that the result does not depend on completion order or on how many times the run was
resumed; every final file is written to a temporary name and renamed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .memory import malloc_trim
from .tables import COLUMNS, TABLES, arrow_schema

MERGE_BUCKET_BYTES = 16 * 2**20  # rows (uncompressed) sorted in memory at once when the final tables are written
# Deterministic order of the final tables (the remaining columns break ties: identical documents
# under two names give rows equal on these keys).
ORDER = {"documents": "source", "errors": "source", "items": "doc_id, item_id",
         "paragraphs": "doc_id, paragraph_id", "responsibilities": "doc_id, start, role, unit",
         "quantities": "doc_id, start, unit", "dates": "doc_id, start", "references": "doc_id, start",
         "metrics": "doc_id, start, metric"}


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class PartStore:
    def __init__(self, out: Path):
        self.out = Path(out)
        self.root = self.out / ".zwgk"
        self.parts = self.root / "parts"
        self.commits = self.root / "commits"
        for d in [self.commits] + [self.parts / t for t in TABLES]:
            d.mkdir(parents=True, exist_ok=True)
        self._drop_uncommitted()
        self.next_part = 1 + max((int(p.stem.split("-")[1]) for p in self.commits.glob("part-*.json")), default=0)

    # --- resume ---------------------------------------------------------------------------------
    def _drop_uncommitted(self) -> None:
        committed = {p.stem for p in self.commits.glob("part-*.json")}
        for t in TABLES:
            for p in (self.parts / t).iterdir():
                if p.stem not in committed:   # also .tmp leftovers
                    p.unlink()
        for p in self.commits.glob(".*.tmp"):
            p.unlink()

    def done(self) -> dict[str, str]:
        """Content hash -> source of every committed input."""
        out = {}
        for p in sorted(self.commits.glob("part-*.json")):
            for entry in json.loads(p.read_text(encoding="utf-8"))["inputs"]:
                out[entry["hash"]] = entry["source"]
        return out

    # --- writing --------------------------------------------------------------------------------
    def commit(self, rows: dict[str, list[dict]], inputs: list[dict]) -> None:
        """Write one batch of rows as parts, then its marker."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        name = f"part-{self.next_part:06d}"
        for t in TABLES:
            if not rows.get(t):
                continue
            tab = pa.Table.from_pylist(rows[t], schema=arrow_schema(t)).sort_by(_sorting(t))
            tmp = self.parts / t / f".{name}.tmp"
            # small row groups for the tables of long texts: the merge reads parts group by group;
            # parts are temporary, so lz4 (speed) rather than the default snappy/zstd trade-offs
            pq.write_table(tab, tmp, row_group_size=_row_group(t), compression="lz4")
            tmp.replace(self.parts / t / f"{name}.parquet")
        _atomic_write_bytes(self.commits / f"{name}.json",
                            json.dumps({"inputs": inputs}, ensure_ascii=False).encode("utf-8"))
        self.next_part += 1

    # --- final tables ---------------------------------------------------------------------------
    def finish(self, fmt: str = "parquet") -> list[Path]:
        """Compact committed parts into OUT/<table>.<fmt> (or one zwgk.duckdb / zwgk.xlsx).

        Every table is sorted on a total order, so the result never depends on which worker finished
        first or on how often the run was resumed."""
        import pyarrow as pa
        pa.set_memory_pool(pa.system_memory_pool())  # mimalloc keeps freed blocks (see also cli.py)
        if fmt == "parquet":
            return [self._write_parquet(t) for t in TABLES]
        if fmt == "csv":
            return [self._write_csv(t) for t in TABLES]
        if fmt == "duckdb":
            return [self._write_duckdb()]
        if fmt == "xlsx":
            return [self._write_xlsx()]
        raise ValueError(f"unknown format {fmt!r}")

    # --- merging --------------------------------------------------------------------------------
    def _batches(self, table: str):
        """Record batches of the table's committed rows in final order.

        The rows are cut into buckets by their first order key (doc_id ranges, or source ranges
        for the per-file tables) of about MERGE_BUCKET_BYTES each; a bucket is read from every part
        (sorted at commit, so Parquet statistics skip the row groups outside it), sorted and
        written out before the next: memory stays flat whatever the corpus size."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = arrow_schema(table)
        files = sorted(str(p) for p in (self.parts / table).glob("part-*.parquet"))
        metas = [pq.ParquetFile(f).metadata for f in files]
        size = sum(m.row_group(i).total_byte_size for m in metas for i in range(m.num_row_groups))
        if not sum(m.num_rows for m in metas):
            yield pa.RecordBatch.from_pylist([], schema=schema)
            return
        key = _order_keys(table)[0]
        column = schema.get_field_index(key)
        bounds = _bucket_bounds(files, key, min(4096, max(1, -(-size // MERGE_BUCKET_BYTES))))
        for lo, hi in zip([None] + bounds, bounds + [None]):
            pieces = []
            for f, meta in zip(files, metas):
                groups = [i for i in range(meta.num_row_groups) if _may_hold(meta.row_group(i).column(column), lo, hi)]
                if groups:
                    part = pq.ParquetFile(f).read_row_groups(groups, use_threads=False)
                    pieces.append(part.filter(_in_bucket(part[key], lo, hi)))
            if pieces:
                yield from pa.concat_tables(pieces).sort_by(_sorting(table)).to_batches(
                    max_chunksize=4 * _row_group(table))
            del pieces
            malloc_trim()

    def _write_parquet(self, table: str) -> Path:
        import pyarrow.parquet as pq
        target = self.out / f"{table}.parquet"
        tmp = target.with_name(f".{target.name}.tmp")
        with pq.ParquetWriter(tmp, arrow_schema(table)) as writer:
            for batch in self._batches(table):
                writer.write_batch(batch)
        tmp.replace(target)
        return target

    def _write_csv(self, table: str) -> Path:
        """CSV with a UTF-8 BOM (Excel reads the encoding from it)."""
        import pyarrow.csv as pacsv
        target = self.out / f"{table}.csv"
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"\xef\xbb\xbf")
            with pacsv.CSVWriter(f, arrow_schema(table)) as writer:
                for batch in self._batches(table):
                    writer.write_batch(batch)
        tmp.replace(target)
        return target

    def _write_duckdb(self) -> Path:
        import duckdb
        import pyarrow as pa
        target, tmp = self.out / "zwgk.duckdb", self.out / ".zwgk.duckdb.tmp"
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        for t in TABLES:
            cols = ", ".join(f'"{c}" {_DUCK[d]}' for c, d in COLUMNS[t])
            con.execute(f'CREATE TABLE "{t}" ({cols})')
            for batch in self._batches(t):
                if batch.num_rows:
                    con.register("_batch", pa.Table.from_batches([batch]))
                    con.execute(f'INSERT INTO "{t}" SELECT * FROM _batch')
                    con.unregister("_batch")
        con.close()
        tmp.replace(target)
        return target

    def _write_xlsx(self) -> Path:
        """One sheet per table, written row by row (openpyxl write-only mode keeps memory flat)."""
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from .tables import _EXCEL_CELL_LIMIT
        wb = Workbook(write_only=True)
        for t in TABLES:
            ws = wb.create_sheet(t)
            ws.append([c for c, _ in COLUMNS[t]])
            for batch in self._batches(t):
                for row in batch.to_pylist():
                    ws.append([ILLEGAL_CHARACTERS_RE.sub(" ", v[:_EXCEL_CELL_LIMIT]) if isinstance(v, str) else v
                               for v in row.values()])
        target, tmp = self.out / "zwgk.xlsx", self.out / ".zwgk.xlsx.tmp"
        wb.save(tmp)
        tmp.replace(target)
        return target

    def write_summary(self, summary: dict) -> None:
        """The last run's summary as JSON (OUT/.zwgk/summary.json), for scripts and benchmarks."""
        _atomic_write_bytes(self.root / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1).encode())

    def counts(self) -> dict[str, int]:
        import pyarrow.parquet as pq
        return {t: sum(pq.ParquetFile(p).metadata.num_rows for p in (self.parts / t).glob("part-*.parquet"))
                for t in TABLES}


def _row_group(table: str) -> int:
    """Rows per Parquet row group of a part, and per batch of the merge: the tables of long texts
    (whole documents, items that nest) get small groups, so that reading them stays light."""
    return {"documents": 8, "items": 64, "paragraphs": 128}.get(table, 512)


def _order_keys(table: str) -> list[str]:
    """The table's order keys, then its other columns as tie-breakers, except long texts: rows that
    tie on everything else belong to documents of identical content (same doc_id), hence are equal."""
    first = [k.strip() for k in ORDER[table].split(",")]
    return first + [c for c, _ in COLUMNS[table] if c not in first and c not in ("text", "heading")]


def _bucket_bounds(files: list[str], key: str, buckets: int) -> list[str]:
    """Ascending boundaries between buckets: even ranges of the hexadecimal doc_id, or
    quantiles of the first key for the tables ordered by source (one row per input)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    if buckets <= 1:
        return []
    if key == "doc_id":
        return [f"{i * 65536 // buckets:04x}" for i in range(1, buckets)]
    values = pa.concat_tables([pq.read_table(f, columns=[key]) for f in files])[key].drop_null().to_pylist()
    if not values:
        return []
    values.sort()
    cuts = sorted({values[i * len(values) // buckets] for i in range(1, buckets)})
    return [c for c in cuts if c > values[0]]


def _may_hold(column_chunk, lo: str | None, hi: str | None) -> bool:
    """Whether a row group's statistics allow keys in [lo, hi) (or nulls, for the last bucket)."""
    stats = column_chunk.statistics
    if stats is None or not stats.has_min_max:
        return True
    if hi is None and stats.null_count:
        return True
    return (lo is None or stats.max >= lo) and (hi is None or stats.min < hi)


def _in_bucket(values, lo: str | None, hi: str | None):
    import pyarrow.compute as pc
    inside = pc.is_valid(values) if lo is None else pc.greater_equal(values, lo)
    if hi is not None:
        return pc.fill_null(pc.and_(inside, pc.less(values, hi)), False)
    return pc.or_kleene(pc.fill_null(inside, False), pc.is_null(values))


def _sorting(table: str) -> list[tuple[str, str, str]]:
    """Arrow sort keys: ascending, nulls last (at parts' commit and at the merge alike)."""
    return [(k, "ascending", "at_end") for k in _order_keys(table)]


_DUCK = {"string": "VARCHAR", "Int64": "BIGINT", "Float64": "DOUBLE", "boolean": "BOOLEAN"}
