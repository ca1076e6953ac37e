"""Queries on zarr pools on disk, on a LocalCluster of worker processes (issue 18).

Targets: per-sample strategies at least 0.8x of 2 x the single-core floor's
throughput with 2 workers; worker memory flat in pool size.

Protocol: pools of 50 standard-normal float32 features in zarr on disk, without
compression (random floats do not compress), chunks of 250,000 rows (50 MB),
written once and reused; 10 classes from a random linear rule; 2,000 labeled
rows apart from the pool. Models: ``LogisticRegression`` and the default net
(``TorchMLPClassifier`` with ``dropout=0.5``, which BALD needs; 10 epochs).
A ``LocalCluster`` of 1 and of 2 worker processes, one thread each, with a 2 GiB
memory limit each; one warm-up query per cluster and model (imports, the model
shipped) is not timed. Each query is ``ActiveLearner.query(da.from_zarr(path))``
with a batch of 100: read from disk, scored and reduced on the workers.

The floor is single-process and in memory, one thread, best of 3 after a
warm-up: ``predict_proba`` in chunks of 40,000 rows (faster than one call) on 2e6
rows of the pool already loaded as a numpy array (rows/s; the rate does not
depend on the pool's size), and the same strategy's in-memory ``query`` on those
rows. A ratio is the cluster's rows/s over ``workers x`` the floor's rows/s.
The task stream splits the workers' time between reading zarr blocks (zarr's
own tasks: disk and decoding) and skactive's tasks (scoring, reductions, row
fetches); the driver's share (a greedy's picks, k-means++ draws) is the rest of
the wall time. Peak worker memory is the largest resident set of any worker
process during the query, sampled every 50 ms by the driver (psutil).

No peer queries a dask or on-disk pool (modAL, scikit-activeml, small-text and
baal take in-memory arrays only), so there is no peer column here.

Run: python benchmarks/bench_distributed.py [--sizes 1000000 10000000 50000000]
     [--net-max-rows 10000000] [--workers 1 2] [--dir /tmp/skactive_pools]
Writes benchmarks/results/bench_distributed.md.
"""

import argparse
import os
import platform
import threading
import time
import warnings
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

N_FEATURES, N_CLASSES, CHUNK_ROWS, BATCH = 50, 10, 250_000, 100
FLOOR_ROWS = 2_000_000
#: The workers' malloc settings. dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536
#: (memory goes back to the OS at once), which also pins glibc's mmap threshold
#: at 128 KiB: every block and every intermediate array of a chunk is a fresh
#: mmap, page-faulted and zeroed. "roomy" restores glibc's own dynamic limits.
ENVIRONS = {
    "dask default": {},
    "roomy": {
        "MALLOC_TRIM_THRESHOLD_": str(2**26),
        "MALLOC_MMAP_THRESHOLD_": str(2**25),
    },
}


def _rule():
    return np.random.default_rng(1).standard_normal((N_FEATURES, N_CLASSES))


def _labeled():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, N_FEATURES), dtype=np.float32)
    return X, (X @ _rule()).argmax(axis=1)


def write_pool(directory, n_rows):
    """A zarr pool of ``n_rows`` rows, written block by block (kept for reuse)."""
    import dask.array as da

    path = Path(directory) / f"pool_{n_rows}.zarr"
    if not (path / "zarr.json").exists():
        rng = da.random.default_rng(0)
        pool = rng.standard_normal(
            (n_rows, N_FEATURES), chunks=(CHUNK_ROWS, N_FEATURES), dtype=np.float32
        )
        pool.to_zarr(str(path), compressors=None, overwrite=True)
    return str(path)


def _estimator(name):
    from sklearn.linear_model import LogisticRegression

    from skactive import TorchMLPClassifier

    if name == "logistic":
        return LogisticRegression(max_iter=1000)
    return TorchMLPClassifier(dropout=0.5, max_epochs=10, random_state=0)


CASES = [  # (strategy, model)
    ("uncertainty", "logistic"),
    ("coreset", "logistic"),
    ("uncertainty", "net"),
    ("bald", "net"),
    ("coreset", "net"),
]


def _learner(strategy, model):
    from skactive import ActiveLearner
    from skactive.strategies import BALD, CoreSet, UncertaintySampling

    strategies = {"uncertainty": UncertaintySampling, "bald": BALD, "coreset": CoreSet}
    learner = ActiveLearner(
        _estimator(model), strategies[strategy](), batch_size=BATCH, random_state=0
    )
    return learner.fit(*_labeled())


def floors(directory, learners):
    """Single-process, in-memory rows/s: predict_proba and each case's query."""
    import zarr

    pool = np.asarray(zarr.open_array(write_pool(directory, FLOOR_ROWS), mode="r")[:])
    out = {}
    for (strategy, model), learner in learners.items():
        out[strategy, model] = (
            FLOOR_ROWS / _best_time(lambda: _chunked_proba(learner.estimator_, pool)),
            FLOOR_ROWS / _best_time(lambda: learner.query(pool)),
        )
    return out


def _chunked_proba(model, pool, rows=40_000):
    """predict_proba in 8 MB chunks (faster than one call on the whole pool)."""
    for start in range(0, pool.shape[0], rows):
        model.predict_proba(pool[start : start + rows])


def _best_time(function, repeats=3):
    function()  # warm-up: first touch of the pool, lazy imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


class WorkerPeak:
    """Largest resident set of any of the cluster's worker processes."""

    def __init__(self, client):
        import psutil

        pids = client.run(os.getpid).values()
        self.processes = [psutil.Process(pid) for pid in pids]

    def __enter__(self):
        self.peak, self._running = 0, True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            rss = max(p.memory_info().rss for p in self.processes)
            self.peak = max(self.peak, rss)
            time.sleep(0.05)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()


OURS = ("_block_candidates", "_apply", "_merge", "_take_block")


def _split(tasks):
    """Worker seconds reading the zarr blocks, and in skactive's tasks."""
    read = ours = 0.0
    for task in tasks:
        key = task["key"][0] if isinstance(task["key"], tuple) else task["key"]
        spent = sum(
            s["stop"] - s["start"]
            for s in task["startstops"]
            if s["action"] == "compute"
        )
        if str(key).startswith(OURS):
            ours += spent
        else:
            read += spent
    return read, ours


def _n_rows_of(block):
    return len(block)


def read_only(path):
    """Seconds to read every block of a zarr pool on the workers, and nothing
    else: the ceiling of any query's throughput on this disk and cluster."""
    import dask.array as da

    from skactive.utils.dask_pools import DaskPool

    start = time.perf_counter()
    lengths = DaskPool(da.from_zarr(path)).per_block(_n_rows_of)
    seconds = time.perf_counter() - start
    assert sum(lengths) == da.from_zarr(path).shape[0]
    return seconds


def run_cluster(n_workers, environ, paths, learners, net_max_rows):
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, get_task_stream

    rows = []
    settings = {"distributed.nanny.pre-spawn-environ": ENVIRONS[environ]}
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit="2GiB",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        smallest = min(paths)
        for learner in learners.values():  # warm-up: imports, models shipped
            learner.query(da.from_zarr(paths[smallest])[: 4 * CHUNK_ROWS])
        for n_rows, path in sorted(paths.items()):
            rows.append((n_workers, environ, n_rows, "read only", "-", read_only(path)))
            print(rows[-1], flush=True)
            for (strategy, model), learner in learners.items():
                if model == "net" and n_rows > net_max_rows:
                    continue
                pool = da.from_zarr(path)
                with WorkerPeak(client) as peak, get_task_stream(client) as tasks:
                    start = time.perf_counter()
                    picked = learner.query(pool)
                    seconds = time.perf_counter() - start
                assert picked.shape == (BATCH,)
                read, ours = _split(tasks.data)
                case = (n_workers, environ, n_rows, strategy, model, seconds)
                rows.append((*case, peak.peak, read, ours))
                print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000, 50_000_000]
    )
    parser.add_argument("--net-max-rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--environs", nargs="+", default=list(ENVIRONS), choices=list(ENVIRONS)
    )
    parser.add_argument("--dir", default="/tmp/skactive_pools")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    paths = {n: write_pool(args.dir, n) for n in args.sizes}
    print(f"pools ready in {time.perf_counter() - start:.0f} s", flush=True)
    learners = {case: _learner(*case) for case in CASES}
    floor = floors(args.dir, learners)
    rows = []
    for environ in args.environs:
        for n_workers in args.workers:
            rows += run_cluster(n_workers, environ, paths, learners, args.net_max_rows)
    write_table(rows, floor, args)


def write_table(rows, floor, args):
    lines = [
        "# Queries on zarr pools on a LocalCluster (bench_distributed.py)",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"workers: 1 thread, 2 GiB limit each; chunks of {CHUNK_ROWS:,} rows x "
        f"{N_FEATURES} float32; batch {BATCH}. Worker malloc: *dask default* is "
        "the nanny's MALLOC_TRIM_THRESHOLD_=65536; *roomy* sets "
        "MALLOC_TRIM_THRESHOLD_=64 MiB and MALLOC_MMAP_THRESHOLD_=32 MiB "
        "(glibc's own dynamic limits).",
        "",
        "Single-process in-memory floor (one thread, 2e6 rows): rows/s of",
        "",
        "| strategy | model | predict_proba | in-memory query |",
        "|---|---|---|---|",
    ]
    for (strategy, model), (proba, query) in floor.items():
        lines.append(f"| {strategy} | {model} | {proba:,.0f} | {query:,.0f} |")
    logistic, net = floor["uncertainty", "logistic"][0], floor["uncertainty", "net"][0]
    lines += [
        "",
        "Reading only (every block read from zarr by the workers, nothing scored):",
        "the ceiling of any query here, against the predict_proba floors",
        "",
        "| workers | worker malloc | pool rows | time (s) | rows/s "
        "| vs workers x logistic floor | vs workers x net floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for n_workers, environ, n_rows, strategy, _, seconds, *_ in rows:
        if strategy == "read only":
            rate = n_rows / seconds
            lines.append(
                f"| {n_workers} | {environ} | {n_rows:,} | {seconds:.2f} "
                f"| {rate:,.0f} | {rate / (n_workers * logistic):.2f} "
                f"| {rate / (n_workers * net):.2f} |"
            )
    lines += [
        "",
        "| workers | worker malloc | pool rows | pool GB | strategy | model "
        "| time (s) | rows/s | vs workers x predict_proba floor "
        "| vs workers x in-memory query | reading zarr (worker s) "
        "| skactive tasks (worker s) | skactive rows per worker-s vs in-memory "
        "query | peak worker RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row[3] != "read only":
            lines.append(_case_line(row, floor))
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(__file__).parent / "results" / "bench_distributed.md"
    out.write_text(text)


def _case_line(row, floor):
    n_workers, environ, n_rows, strategy, model, seconds, peak, read, ours = row
    rate = n_rows / seconds
    proba, query = floor[strategy, model]
    return (
        f"| {n_workers} | {environ} | {n_rows:,} "
        f"| {n_rows * N_FEATURES * 4 / 1e9:.1f} | {strategy} | {model} "
        f"| {seconds:.2f} | {rate:,.0f} | {rate / (n_workers * proba):.2f} "
        f"| {rate / (n_workers * query):.2f} | {read:.1f} | {ours:.1f} "
        f"| {n_rows / max(ours, 1e-9) / query:.2f} | {peak / 2**20:.0f} |"
    )


if __name__ == "__main__":
    main()
