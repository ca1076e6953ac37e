"""Labeling sessions: latency and throughput on SQLite and PostgreSQL (issue 16).

1. ``submit`` latency, p50 and p99 over 300 labels (digits, a LogisticRegression,
   ``refit_every`` large so the durable write is what is timed; and with a refit
   after every label).
2. The next item while a ``TorchMLPClassifier`` refits in the background:
   ``next_batch(n=1)`` latency, p50/p99 over 100 labels (target p99 < 50 ms).
3. Throughput: 4 annotator processes labeling at once until 400 labels.
4. Reopen time of a session holding 10,000 labels (a 20,000 x 20 pool): hash
   the rows, replay the events, refit.

PostgreSQL at $SKACTIVE_TEST_POSTGRES_URL (default: the local socket, database
skactive_test); it is emptied first.

5. Four annotators at once with the default net (issue 30): four processes on
   one SQLite session, the default learner (``TorchMLPClassifier``, uncertainty
   sampling), ``refit_every=5``, 120 labels; ``next_batch`` and ``submit``
   p50/p99 over every call of every annotator. ``--concurrency TAG`` runs only
   this and adds a row ``TAG`` to ``bench_session_concurrency.md``: run it with
   ``PYTHONPATH`` at an older checkout for the "before" row, and with
   ``background`` after the tag for sessions with ``background_refit=True``
   (an annotator's submit then never waits for a model).

Run: python benchmarks/bench_session.py [--concurrency TAG [background]]
Writes benchmarks/results/bench_session.md (bench_session_concurrency.md).
"""

import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import sqlalchemy as sa
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, LabelingSession

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_URL = os.environ.get(
    "SKACTIVE_TEST_POSTGRES_URL",
    "postgresql+psycopg:///skactive_test?host=/var/run/postgresql",
)


def _fresh(backend, directory, name):
    if backend == "sqlite":
        return f"sqlite:///{directory}/{name}.db"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        for table in ("events", "leases", "items", "meta"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS skactive_{table}")
    engine.dispose()
    return POSTGRES_URL


def _percentiles(seconds):
    ms = 1000 * np.asarray(seconds)
    return f"{np.percentile(ms, 50):.1f}", f"{np.percentile(ms, 99):.1f}"


def _learner(estimator=None, batch_size=10):
    model = estimator or LogisticRegression(max_iter=300)
    return ActiveLearner(model, batch_size=batch_size, random_state=0)


def submit_latency(url, X, y, refit_every):
    times = []
    with LabelingSession(_learner(), X, url, refit_every=refit_every) as session:
        while len(times) < 300:
            for item in session.next_batch("a"):
                start = time.perf_counter()
                session.submit(item, int(y[int(item)]), "a")
                times.append(time.perf_counter() - start)
    return _percentiles(times)


def next_item_during_refit(url, X, y):
    import torch

    from skactive.nets import TorchMLPClassifier

    torch.set_num_threads(1)
    net = TorchMLPClassifier((256, 256), max_epochs=40, random_state=0)
    times = []
    with LabelingSession(
        _learner(net, 1), X, url, background_refit=True, refit_every=1
    ) as session:
        for _ in range(100):
            start = time.perf_counter()
            batch = session.next_batch("a", n=1)
            times.append(time.perf_counter() - start)
            session.submit(batch[0], int(y[int(batch[0])]), "a")
        refitting = session._refit_thread is not None
        session.wait()
    return (*_percentiles(times), refitting)


_ANNOTATOR = """
import sys
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from skactive import ActiveLearner, LabelingSession
X, y = load_digits(return_X_y=True)
learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=10,
                        random_state=0)
session = LabelingSession(learner, X, sys.argv[1], budget=400, refit_every=10)
print("ready", flush=True)
sys.stdin.readline()
n = 0
while batch := session.next_batch(sys.argv[2]):
    for item in batch:
        session.submit(item, int(y[int(item)]), sys.argv[2])
        n += 1
print(n, flush=True)
"""


def _four_annotators(source, url, mode="foreground"):
    """Run ``source`` in 4 processes started together; ``(outputs, seconds)``."""
    script = Path(tempfile.mkdtemp()) / "annotator.py"
    script.write_text(textwrap.dedent(source))
    children = [
        subprocess.Popen(
            [sys.executable, str(script), url, f"ann{k}", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate()[0] for child in children]
    return outputs, time.perf_counter() - start


def throughput(url, X):
    LabelingSession(_learner(), X, url).close()
    outputs, elapsed = _four_annotators(_ANNOTATOR, url)
    counts = [int(output.split()[-1]) for output in outputs]
    return sum(counts), elapsed


_TIMED_ANNOTATOR = """
import json, sys, time
import torch
torch.set_num_threads(1)
from sklearn.datasets import load_digits
from skactive import ActiveLearner, LabelingSession
X, y = load_digits(return_X_y=True)
learner = ActiveLearner(batch_size=4, random_state=0)  # the default net
session = LabelingSession(learner, X, sys.argv[1], budget=120, refit_every=5,
                          background_refit=sys.argv[3] == "background")
print("ready", flush=True)
sys.stdin.readline()
nexts, submits = [], []
while True:
    start = time.perf_counter()
    batch = session.next_batch(sys.argv[2])
    nexts.append(time.perf_counter() - start)
    if not batch:
        break
    for item in batch:
        start = time.perf_counter()
        session.submit(item, int(y[int(item)]), sys.argv[2])
        submits.append(time.perf_counter() - start)
print(json.dumps({"next": nexts, "submit": submits}), flush=True)
"""


def concurrent_latency(url, mode="foreground"):
    """``(next p50, p99, submit p50, p99, labels, seconds)`` of 4 annotators."""
    import json

    import skactive

    LabelingSession(
        ActiveLearner(batch_size=4, random_state=0), *_digits(), url
    ).close()
    outputs, elapsed = _four_annotators(_TIMED_ANNOTATOR, url, mode)
    answers = [json.loads(output.splitlines()[-1]) for output in outputs]
    nexts = [t for a in answers for t in a["next"]]
    submits = [t for a in answers for t in a["submit"]]
    print("skactive from", skactive.__file__, flush=True)
    return (*_percentiles(nexts), *_percentiles(submits), len(submits), elapsed)


def _digits():
    X, _ = load_digits(return_X_y=True)
    return (X,)


def concurrency_row(tag, mode="foreground"):
    url = f"sqlite:///{tempfile.mkdtemp()}/concurrent.db"
    n50, n99, s50, s99, n, seconds = concurrent_latency(url, mode)
    path = RESULTS / "bench_session_concurrency.md"
    if not path.exists():
        path.write_text(
            "# Four annotators at once, the default net (bench_session.py "
            "--concurrency)\n\n"
            f"Python {platform.python_version()}, SQLite, 2 cores; digits, "
            "ActiveLearner() (TorchMLPClassifier, uncertainty sampling), "
            "batch_size=4, refit_every=5, 120 labels by 4 processes.\n\n"
            "| code | next_batch p50 / p99 (ms) | submit p50 / p99 (ms) | "
            "labels | wall (s) |\n|---|---|---|---|---|\n"
        )
    row = f"| {tag} | {n50} / {n99} | {s50} / {s99} | {n} | {seconds:.1f} |\n"
    with path.open("a") as table:
        table.write(row)
    print(row, flush=True)


def reopen_time(url):
    X, y = make_classification(20_000, 20, n_informative=10, random_state=0)
    labels = {str(i): int(y[i]) for i in range(0, 20_000, 2)}
    LabelingSession(_learner(), X, url, initial_labels=labels).close()
    start = time.perf_counter()
    session = LabelingSession(_learner(), X, url)
    elapsed = time.perf_counter() - start
    assert session.progress()["n_labeled"] == 10_000
    session.close()
    return elapsed


def main():
    X, y = load_digits(return_X_y=True)
    directory = tempfile.mkdtemp()
    lines = [
        "# Labeling sessions (benchmarks/bench_session.py)",
        "",
        f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}, one "
        "thread; digits (1,797 rows) and a LogisticRegression unless said.",
        "",
        "| measure | SQLite | PostgreSQL |",
        "|---|---|---|",
    ]
    results = {}
    for backend in ("sqlite", "postgresql"):
        plain = submit_latency(_fresh(backend, directory, "a"), X, y, 10**9)
        refit = submit_latency(_fresh(backend, directory, "b"), X, y, 1)
        during = next_item_during_refit(_fresh(backend, directory, "c"), X, y)
        n, seconds = throughput(_fresh(backend, directory, "d"), X)
        reopen = reopen_time(_fresh(backend, directory, "e"))
        results[backend] = {
            "submit p50 / p99 (ms), no refit": f"{plain[0]} / {plain[1]}",
            "submit p50 / p99 (ms), refit after each": f"{refit[0]} / {refit[1]}",
            "next item p50 / p99 (ms) during MLP refits": f"{during[0]} / {during[1]}",
            "4 annotators: labels per second": f"{n / seconds:.0f} ({n} in "
            f"{seconds:.1f} s)",
            "reopen with 10,000 labels (s)": f"{reopen:.2f}",
        }
        print(backend, results[backend], flush=True)
    for measure in results["sqlite"]:
        lines.append(
            f"| {measure} | {results['sqlite'][measure]} | "
            f"{results['postgresql'][measure]} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_session.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--concurrency":
        concurrency_row(*sys.argv[2:])
    else:
        main()
