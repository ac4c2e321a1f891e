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

from .tables import COLUMNS, TABLES, arrow_schema

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
            # small row groups for the tables of long texts: the merge reads parts group by group
            pq.write_table(tab, tmp, row_group_size=_row_group(t))
            tmp.replace(self.parts / t / f"{name}.parquet")
        _atomic_write_bytes(self.commits / f"{name}.json",
                            json.dumps({"inputs": inputs}, ensure_ascii=False).encode("utf-8"))
        self.next_part += 1

    # --- final tables ---------------------------------------------------------------------------
    def finish(self, fmt: str = "parquet") -> list[Path]:
        """Compact committed parts into OUT/<table>.<fmt> (or one zwgk.duckdb / zwgk.xlsx).

        Every table is sorted on a total order, so the result never depends on which worker finished
        first or on how often the run was resumed; only the order keys of all rows are held in memory
        at once (no texts)."""
        import pyarrow as pa
        pa.set_memory_pool(pa.system_memory_pool())  # mimalloc keeps freed blocks: RSS would grow
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

        Every part is sorted when committed; the order keys of all parts (no long texts) are sorted
        together, and the rows are then gathered part by part: each part is read once, front to
        back, one row group at a time."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = arrow_schema(table)
        files = sorted((self.parts / table).glob("part-*.parquet"))
        key_tables = []
        for i, f in enumerate(files):
            k = pq.read_table(f, columns=_order_keys(table))
            key_tables.append(k.append_column("_part", pa.array(np.full(k.num_rows, i, dtype=np.int32)))
                              .append_column("_row", pa.array(np.arange(k.num_rows))))
        if not key_tables or not sum(k.num_rows for k in key_tables):
            yield pa.RecordBatch.from_pylist([], schema=schema)
            return
        order = pa.concat_tables(key_tables).sort_by(_sorting(table) + [("_part", "ascending"), ("_row", "ascending")])
        parts = order["_part"].to_numpy()
        del key_tables, order
        readers = [pq.ParquetFile(f).iter_batches(batch_size=_row_group(table)) for f in files]
        pending: list[pa.RecordBatch | None] = [None] * len(files)
        size = 4 * _row_group(table)
        for lo in range(0, len(parts), size):
            chunk = parts[lo:lo + size]
            grouped = np.argsort(chunk, kind="stable")  # chunk positions, part by part, in part order
            pieces = []
            for part, count in zip(*np.unique(chunk, return_counts=True)):
                while count:
                    if pending[part] is None or not pending[part].num_rows:
                        pending[part] = next(readers[part])
                    take = min(count, pending[part].num_rows)
                    pieces.append(pending[part].slice(0, take))
                    pending[part] = pending[part].slice(take)
                    count -= take
            back = np.empty_like(grouped)
            back[grouped] = np.arange(len(grouped))
            yield pa.Table.from_batches(pieces, schema=schema).take(back).combine_chunks().to_batches()[0]

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


def _sorting(table: str) -> list[tuple[str, str, str]]:
    """Arrow sort keys: ascending, nulls last (at parts' commit and at the merge alike)."""
    return [(k, "ascending", "at_end") for k in _order_keys(table)]


_DUCK = {"string": "VARCHAR", "Int64": "BIGINT", "Float64": "DOUBLE", "boolean": "BOOLEAN"}
