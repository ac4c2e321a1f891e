"""pipeline.store and resumable batches: kill -9 mid-run, resume, same tables as an uninterrupted run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import SEEDS
from pipeline.batch import run_batch
from pipeline.store import PartStore
from pipeline.tables import TABLES

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="no seed documents")


def _corpus(folder: Path, copies: int = 12) -> Path:
    """Seed documents, each repeated with a different heading so that every file has new content."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for seed in sorted(SEEDS.glob("*.txt")):
            text = seed.read_text(encoding="utf-8")
            (folder / f"{i:02d}_{seed.name}").write_text(f"第{i + 1}批\n{text}", encoding="utf-8")
    return folder


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}


def test_store_resume_after_kill_equals_uninterrupted_run(tmp_path):
    corpus = _corpus(tmp_path / "in")
    reference = tmp_path / "ref"
    run_batch([corpus], reference, jobs=1, progress=False)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pipeline.cli", "extract", str(corpus), "--out", str(out), "--jobs", "1",
           "--batch-size", "5", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    commits = out / ".zwgk" / "commits"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(commits.glob("part-*.json"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(PartStore(out).done())
    assert 0 < done_before < 60, "the run was killed mid-way"
    summary = run_batch([corpus], out, jobs=2, progress=False)
    assert summary.resumed == done_before
    got, want = _tables(out), _tables(reference)
    for t in TABLES:
        pd.testing.assert_frame_equal(got[t].reset_index(drop=True), want[t].reset_index(drop=True), obj=t)


def test_store_drops_uncommitted_parts(tmp_path):
    store = PartStore(tmp_path)
    stray = store.parts / "items" / "part-000001.parquet"
    stray.write_bytes(b"half-written")
    (store.parts / "documents" / ".part-000001.tmp").write_bytes(b"x")
    PartStore(tmp_path)
    assert not stray.exists() and not list((store.parts / "documents").iterdir())


def test_store_rerun_skips_committed_inputs(tmp_path):
    first = run_batch([SEEDS], tmp_path, jobs=1, progress=False)
    again = run_batch([SEEDS], tmp_path, jobs=1, progress=False)
    assert (first.documents, again.documents, again.resumed) == (5, 0, 5)
    assert len(pd.read_parquet(tmp_path / "documents.parquet")) == 5


def test_dask_engine_writes_the_same_tables(tmp_path):
    pytest.importorskip("dask.distributed")
    run_batch([SEEDS], tmp_path / "local", jobs=1, progress=False)
    run_batch([SEEDS], tmp_path / "dask", jobs=2, progress=False, engine="dask")
    for t in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / f"{t}.parquet"),
                                      pd.read_parquet(tmp_path / "local" / f"{t}.parquet"), obj=t)


@pytest.mark.parametrize("bucket_bytes", [24 * 2**20, 300])
def test_store_merge_orders_rows_across_parts_whatever_the_commit_order(tmp_path, monkeypatch, bucket_bytes):
    """Rows of one document spread over several commits, nulls and equal keys: the final table is
    in (doc_id, start, unit) order with nulls last, the same whichever batch came first, whether the
    merge sorts everything at once or bucket by bucket."""
    import pipeline.store
    monkeypatch.setattr(pipeline.store, "MERGE_BUCKET_BYTES", bucket_bytes)
    rows = [{"doc_id": d, "start": s, "end": s + 2, "unit": u, "value": float(s), "text": f"{s}{u}"}
            for d in ("b07f", "a3", "0c", "ff1") for s in (30, 1, 7) for u in ("人", None)]
    errors = [{"source": f"dir/{n}.txt", "stage": "ingest", "error": "empty", "message": ""} for n in "qbzay"]
    results = []
    for order in (rows, rows[::-1]):
        out = tmp_path / f"out{len(results)}"
        store = PartStore(out)
        for i in range(0, len(order), 5):  # five commits of at most five rows
            store.commit({"quantities": order[i:i + 5], "errors": errors[i // 5:i // 5 + 1]},
                         [{"source": f"s{i}", "hash": f"h{i}|s{i}"}])
        store.finish("parquet")
        results.append((pd.read_parquet(out / "quantities.parquet"), pd.read_parquet(out / "errors.parquet")))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    got = list(zip(results[0][0]["doc_id"], results[0][0]["start"], results[0][0]["unit"].fillna("-")))
    assert got[:4] == [("0c", 1, "人"), ("0c", 1, "-"), ("0c", 7, "人"), ("0c", 7, "-")]
    assert got == sorted(got, key=lambda r: (r[0], r[1], r[2] == "-", r[2]))
    assert len(got) == len(rows)
    assert list(results[0][1]["source"]) == [f"dir/{n}.txt" for n in "abqyz"] == list(results[1][1]["source"])
