"""Running the per-document function elsewhere than in local worker processes.

`--engine dask` submits `pipeline.batch.process_file` to a Dask cluster (a LocalCluster of `jobs`
single-threaded worker processes by default, or the scheduler at `--scheduler ADDRESS`); the
results stream back in completion order into the same committed-batch writer. Dask is an optional
dependency (`pip install zwgk[dask]`). Dask runs tasks in worker threads, where the per-document
alarm cannot be set: the per-document time limit applies to the local engine only.
"""
from __future__ import annotations

from collections.abc import Iterator


def dask_results(work: list[tuple], jobs: int, scheduler: str | None = None) -> Iterator[dict]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SystemExit("zwgk: --engine dask needs Dask: pip install 'zwgk[dask]'") from exc
    from .batch import _work
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(_work, work, pure=False)
        for fut in as_completed(futures):
            yield fut.result()
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
