"""Streaming, crash-safe storage of a batch run.

Rows arrive in batches and are written to `OUT/.zwgk/parts/<table>/part-NNNNNN.parquet`; a batch is
committed by its marker `OUT/.zwgk/commits/part-NNNNNN.json` (the inputs it covers, with their content
hashes), written last and atomically. A part without a marker was interrupted and is ignored (and
removed) on the next run, so a run killed at any moment loses nothing committed, and a resumed run
skips every input whose content hash is committed. `finish` compacts the committed parts into the
final tables with DuckDB, sorted so that the result does not depend on completion order or on how
many times the run was resumed; every final file is written to a temporary name and renamed.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .tables import COLUMNS, TABLES, arrow_schema

# Deterministic order of the final tables.
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
        import pyarrow.parquet as pq
        from .tables import frame
        import pyarrow as pa
        name = f"part-{self.next_part:06d}"
        for t in TABLES:
            if not rows.get(t):
                continue
            tab = pa.Table.from_pandas(frame(t, rows[t]), schema=arrow_schema(t), preserve_index=False)
            tmp = self.parts / t / f".{name}.tmp"
            pq.write_table(tab.replace_schema_metadata(None), tmp)
            tmp.replace(self.parts / t / f"{name}.parquet")
        _atomic_write_bytes(self.commits / f"{name}.json",
                            json.dumps({"inputs": inputs}, ensure_ascii=False).encode("utf-8"))
        self.next_part += 1

    # --- final tables ---------------------------------------------------------------------------
    def finish(self, fmt: str = "parquet", memory_limit: str = "256MB") -> list[Path]:
        """Compact committed parts into OUT/<table>.<fmt> (or one zwgk.duckdb / zwgk.xlsx)."""
        import duckdb
        tmpdir = self.root / "duckdb_tmp"
        tmpdir.mkdir(exist_ok=True)
        con = duckdb.connect()
        con.execute(f"SET memory_limit='{memory_limit}'")
        con.execute(f"SET temp_directory='{tmpdir}'")
        con.execute("SET preserve_insertion_order=false")
        written = []
        db_tmp = self.out / ".zwgk.duckdb.tmp"
        if fmt == "duckdb":
            db_tmp.unlink(missing_ok=True)
            con.execute(f"ATTACH '{db_tmp}' AS final")
        for t in TABLES:
            source = self._relation(t)
            query = f"SELECT * FROM {source} ORDER BY {ORDER[t]}"
            if fmt == "parquet":
                written.append(self._copy(con, query, self.out / f"{t}.parquet", "(FORMAT PARQUET)"))
            elif fmt == "csv":
                written.append(self._csv(con, query, self.out / f"{t}.csv"))
            elif fmt == "duckdb":
                con.execute(f'CREATE TABLE final."{t}" AS {query}')
        if fmt == "duckdb":
            con.execute("DETACH final")
            target = self.out / "zwgk.duckdb"
            db_tmp.replace(target)
            written.append(target)
        elif fmt == "xlsx":
            written.append(self._xlsx(con))
        con.close()
        shutil.rmtree(tmpdir, ignore_errors=True)
        return written

    def _relation(self, table: str) -> str:
        files = sorted((self.parts / table).glob("part-*.parquet"))
        if files:
            listing = ", ".join(f"'{f}'" for f in files)
            return f"read_parquet([{listing}])"
        cols = ", ".join(f'CAST(NULL AS {_DUCK[t]}) AS "{c}"' for c, t in COLUMNS[table])
        return f"(SELECT {cols} WHERE false)"

    @staticmethod
    def _copy(con, query: str, target: Path, options: str) -> Path:
        tmp = target.with_name(f".{target.name}.tmp")
        con.execute(f"COPY ({query}) TO '{tmp}' {options}")
        tmp.replace(target)
        return target

    def _csv(self, con, query: str, target: Path) -> Path:
        """CSV with a UTF-8 BOM (Excel reads the encoding from it)."""
        body = target.with_name(f".{target.name}.body")
        con.execute(f"COPY ({query}) TO '{body}' (FORMAT CSV, HEADER)")
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "wb") as out, open(body, "rb") as src:
            out.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(src, out, 1 << 20)
        body.unlink()
        tmp.replace(target)
        return target

    def _xlsx(self, con) -> Path:
        """One sheet per table, written row by row (openpyxl write-only mode keeps memory flat)."""
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from .tables import _EXCEL_CELL_LIMIT
        wb = Workbook(write_only=True)
        for t in TABLES:
            ws = wb.create_sheet(t)
            ws.append([c for c, _ in COLUMNS[t]])
            cur = con.execute(f"SELECT * FROM {self._relation(t)} ORDER BY {ORDER[t]}")
            while batch := cur.fetchmany(2000):
                for row in batch:
                    ws.append([ILLEGAL_CHARACTERS_RE.sub(" ", v[:_EXCEL_CELL_LIMIT]) if isinstance(v, str) else v
                               for v in row])
        target = self.out / "zwgk.xlsx"
        tmp = self.out / ".zwgk.xlsx.tmp"
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


_DUCK = {"string": "VARCHAR", "Int64": "BIGINT", "Float64": "DOUBLE", "boolean": "BOOLEAN"}
