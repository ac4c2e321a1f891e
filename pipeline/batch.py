"""Many files: worker processes, a time limit per document, progress, and every input accounted for.

Each input file ends in exactly one of `documents` (with its rows in the other tables) or `errors`.
`process_file` is the unit of work: a pure function from a path to rows, so any executor (a local
process pool here, Dask in pipeline.engines) can run it.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 120.0


class DocumentTimeout(Exception):
    pass


class StageError(Exception):
    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.stage, self.exc = stage, exc


# Annotation and data files that live beside documents (gold, labels, notes) are not documents:
# a folder walk leaves them out and the summary counts them; a file named explicitly is always read.
SIDECAR_SUFFIXES = {".json", ".jsonl", ".md", ".parquet", ".skops", ".gitkeep"}


def iter_inputs(paths: Iterable[str | Path], skipped: Counter | None = None) -> Iterator[tuple[Path, str]]:
    """(path, source) for every file under the given files and folders, in a stable order.

    `source` is the path relative to the folder it was found in (SCHEMA.md documents.source)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                if f.suffix.lower() in SIDECAR_SUFFIXES or f.name.startswith("."):
                    if skipped is not None:
                        skipped[f.suffix.lower() or f.name] += 1
                    continue
                yield f, str(f.relative_to(p))
        else:
            yield p, str(p)


def _on_alarm(signum, frame):
    raise DocumentTimeout()


def process_file(path: str | Path, source: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> dict:
    """Read and process one file. Returns {"rows": {...}, "seconds": s, "timings": {...}} or
    {"error": error_row}. Never raises for a bad input."""
    from .document import Document
    from .ingest import IngestError, read_document
    from .run import STAGES
    from .tables import document_rows, error_row

    source = str(path) if source is None else source
    t0 = time.perf_counter()
    stage = "ingest"
    use_alarm = bool(timeout) and hasattr(signal, "setitimer") and _in_main_thread()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        ing = read_document(path)
        doc = Document(ing.text, source=source, format=ing.format, encoding=ing.encoding)
        for stage, fn in STAGES:
            ts = time.perf_counter()
            fn(doc)
            doc.timings[stage] = time.perf_counter() - ts
        stage = "tables"
        rows = document_rows(doc)
        return {"rows": rows, "seconds": time.perf_counter() - t0, "timings": doc.timings,
                "bytes": _size(path)}
    except IngestError as exc:
        return {"error": error_row(source, "ingest", exc.error, exc.message)}
    except DocumentTimeout:
        return {"error": error_row(source, stage, "timeout", f"stopped after {timeout:g} s in stage {stage}")}
    except MemoryError:
        return {"error": error_row(source, stage, "memory", "out of memory while processing")}
    except Exception as exc:  # one document's failure never stops the batch; the row says what it was
        return {"error": error_row(source, stage, type(exc).__name__, str(exc)[:500])}
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _work(args):
    path, source, timeout = args
    return process_file(path, source, timeout)


@dataclass
class Summary:
    files: int = 0
    documents: int = 0
    errors: Counter = field(default_factory=Counter)
    rows: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    bytes: int = 0
    outputs: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    resumed: int = 0
    totals: dict = field(default_factory=dict)
    stage_seconds: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"files": self.files, "documents": self.documents, "errors": dict(self.errors),
                "resumed": self.resumed, "skipped": dict(self.skipped), "seconds": round(self.seconds, 3),
                "bytes": self.bytes, "rows": dict(self.totals or self.rows),
                "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
                "outputs": [str(p) for p in self.outputs]}

    def text(self) -> str:
        mb = self.bytes / 2**20
        lines = [f"{self.files} files: {self.documents} documents, {sum(self.errors.values())} errors "
                 f"in {self.seconds:.1f} s ({mb / max(self.seconds, 1e-9):.2f} MB/s)"]
        if self.resumed:
            lines.append(f"{self.resumed} files already done in this output folder (same content): skipped")
        if self.errors:
            lines.append("errors: " + ", ".join(f"{k} {v}" for k, v in self.errors.most_common()))
        totals = self.totals or self.rows
        lines.append("rows: " + ", ".join(f"{t} {totals.get(t, 0)}" for t in
                                          ("documents", "items", "paragraphs", "quantities", "dates",
                                           "responsibilities", "references", "metrics", "errors")))
        if self.stage_seconds:
            lines.append("time per stage (all workers): " + ", ".join(
                f"{k} {v:.1f} s" for k, v in self.stage_seconds.items()))
        if self.skipped:
            lines.append(f"not documents, left out of the folder walk: {sum(self.skipped.values())} files ("
                         + ", ".join(f"{k} {v}" for k, v in self.skipped.most_common()) + ")")
        lines.append("written: " + ", ".join(str(p) for p in self.outputs))
        return "\n".join(lines)


def file_hash(path: Path) -> str:
    import hashlib
    h = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return "unreadable"
    return h.hexdigest()


def run_batch(paths, out, *, fmt: str = "parquet", jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
              progress: bool | None = None, log=sys.stderr, engine: str = "processes",
              scheduler: str | None = None, batch_docs: int = 200, batch_bytes: int = 32 * 2**20) -> Summary:
    """Extract every file under `paths` into table files in `out`, streaming rows to disk in
    committed batches; inputs already committed in `out` (same content hash and source) are skipped."""
    from .store import PartStore
    from .tables import TABLES

    t0 = time.perf_counter()
    if jobs != 1 and engine == "processes":
        _start_forkserver()  # it loads models while this process hashes the inputs
    store = PartStore(Path(out))
    skipped: Counter = Counter()
    inputs = list(iter_inputs(paths, skipped))
    done = store.done()
    todo = []
    for p, source in inputs:
        h = file_hash(p)
        if done.get(h + "|" + source) is None:
            todo.append((p, source, h))
    jobs = max(1, jobs or os.cpu_count() or 1)
    summary = Summary(files=len(inputs), skipped=skipped, resumed=len(inputs) - len(todo))
    bar = _progress(len(todo), progress, log)
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    committed_inputs: list[dict] = []
    pending_bytes = 0
    hashes = {source: h for _, source, h in todo}
    for result in _results(todo, jobs, timeout, engine, scheduler):
        if "error" in result:
            rows["errors"].append(result["error"])
            source = result["error"]["source"]
            summary.errors[result["error"]["error"]] += 1
        else:
            source = result["rows"]["documents"][0]["source"]
            summary.documents += 1
            summary.bytes += result.get("bytes", 0)
            pending_bytes += len(result["rows"]["documents"][0]["text"]) * 3
            for t, rs in result["rows"].items():
                rows[t].extend(rs)
                summary.rows[t] += len(rs)
            for stage, sec in result.get("timings", {}).items():
                summary.stage_seconds[stage] += sec
        committed_inputs.append({"source": source, "hash": hashes[source] + "|" + source})
        bar.update(result, summary)
        if len(committed_inputs) >= batch_docs or pending_bytes >= batch_bytes:
            store.commit(rows, committed_inputs)
            rows, committed_inputs, pending_bytes = {t: [] for t in TABLES}, [], 0
    if committed_inputs:
        store.commit(rows, committed_inputs)
    bar.close()
    summary.outputs = store.finish(fmt)
    summary.totals = store.counts()
    summary.seconds = time.perf_counter() - t0
    store.write_summary(summary.as_dict())
    return summary


def _results(tasks, jobs: int, timeout: float, engine: str = "processes", scheduler: str | None = None):
    work = [(str(p), s, timeout) for p, s, _ in tasks]
    if engine == "dask":
        from .engines import dask_results
        yield from dask_results(work, jobs, scheduler)
        return
    if jobs == 1 or len(work) <= 1:
        yield from map(_work, work)
        return
    with _start_forkserver().Pool(jobs, maxtasksperchild=500) as pool:
        yield from pool.imap_unordered(_work, work, chunksize=1)


def _start_forkserver():
    """The multiprocessing context of the workers; on POSIX its fork server is started now, with
    pipeline.preload imported in it, so that every worker forks warm."""
    import multiprocessing as mp
    if sys.platform == "win32":
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["pipeline.preload"])
    from multiprocessing import forkserver
    forkserver.ensure_running()
    return ctx


class _progress:
    """tqdm bar on a terminal, a plain log line every few seconds otherwise."""

    def __init__(self, total: int, enabled: bool | None, log):
        self.total, self.log, self.done, self.last = total, log, 0, time.monotonic()
        self.start = self.last
        tty = hasattr(log, "isatty") and log.isatty()
        self.bar = None
        if (enabled is None and tty) or enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="file", file=log, dynamic_ncols=True)
        self.quiet = enabled is False

    def update(self, result: dict, summary: Summary) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.start
        mbs = summary.bytes / 2**20 / max(elapsed, 1e-9)
        errors = sum(summary.errors.values())
        if self.bar is not None:
            self.bar.set_postfix_str(f"{mbs:.2f} MB/s, {errors} errors", refresh=False)
            self.bar.update(1)
        elif not self.quiet and (time.monotonic() - self.last > 5 or self.done == self.total):
            self.last = time.monotonic()
            eta = elapsed / self.done * (self.total - self.done)
            print(f"[zwgk] {self.done}/{self.total} files, {mbs:.2f} MB/s, {errors} errors, ETA {eta:.0f} s",
                  file=self.log, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
