"""The labeling page's latency in a real browser: keypress to the next item drawn.

Debian's Chromium (headless, Selenium) labels digits on a session served by
``session.serve()`` in this process, pressing the true digit's key every
``PACE`` seconds (a fast annotator), so that refits run while keys are pressed.
The page measures, with ``performance.now()``, the time from the keydown event
to the frame after the next item is drawn, and to the label committed by the
server (``saves``). Rows: the demo's two estimators (scaled logistic regression;
the default net, a StandardScaler + TorchMLPClassifier pipeline) with the refit
in the background (the demo's setting) and inline (``submit`` refits before it
answers). ``during refit`` is the share of keypresses made while a fit ran.

No peer is measured: the labeling tools with an active-learning loop (Prodigy)
are closed, and Label Studio's free edition has no loop to measure.

Writes benchmarks/results/bench_page.md.
"""

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

RESULTS = Path(__file__).resolve().parent / "results"
N_KEYS, PACE = 100, 0.1


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1200,800"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def _timed_fits(session):
    """Record the wall-clock interval of every fit of ``session``."""
    intervals, fit = [], session._fit

    def timed(*args):
        start = time.time()
        try:
            return fit(*args)
        finally:
            intervals.append((start, time.time()))

    session._fit = timed
    return intervals


def run(estimator, background, directory):
    from selenium.webdriver.support.ui import WebDriverWait
    from sklearn.datasets import load_digits

    from skactive import ActiveLearner, LabelingSession
    from skactive.cli._demo import make_estimator

    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        make_estimator(estimator),
        batch_size=10,
        classes=list(range(10)),
        random_state=0,
    )
    url = f"sqlite:///{directory}/{estimator}_{background}.db"
    session = LabelingSession(
        learner, X, url, background_refit=background, image_shape=(8, 8)
    )
    fits = _timed_fits(session)
    server = session.serve()
    driver = _browser()
    try:
        driver.get(f"{server.url}/?annotator=bench")
        wait = WebDriverWait(driver, 120, poll_frequency=0.01)
        wait.until(lambda d: d.execute_script("return window.skactive.ready"))
        body = driver.find_element("tag name", "body")
        pressed = []
        for _ in range(N_KEYS):
            item = wait.until(
                lambda d: d.execute_script("return window.skactive.shown")
            )
            pressed.append(time.time())
            body.send_keys(str(y[int(item)]))
            time.sleep(PACE)
        wait.until(lambda d: d.execute_script("return window.skactive.pending === 0"))
        latencies = driver.execute_script("return window.skactive.latencies")
        saves = driver.execute_script("return window.skactive.saves")
    finally:
        driver.quit()
        server.stop()
        session.wait()
        session.close()
    during = np.mean([any(a <= t <= b for a, b in fits) for t in pressed])
    fit_times = [b - a for a, b in fits[1:]]
    return latencies, saves, during, fit_times


def _row(name, mode, latencies, saves, during, fit_times):
    p = np.percentile
    return (
        f"| {name} | {mode} | {len(latencies)} | {p(latencies, 50):.1f} | "
        f"{p(latencies, 99):.1f} | {max(latencies):.1f} | {p(saves, 50):.0f} | "
        f"{p(saves, 99):.0f} | {100 * during:.0f} % | "
        f"{1000 * np.median(fit_times):.0f} |"
    )


def main():
    import tempfile

    import torch

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for estimator in ("logreg", "mlp"):
            for background in (True, False):
                mode = "background refit" if background else "refit in submit"
                result = run(estimator, background, directory)
                rows.append(_row(estimator, mode, *result))
                print(rows[-1], flush=True)
    header = (
        "| estimator | refit | keys | next item p50 (ms) | p99 (ms) | max (ms) | "
        "saved p50 (ms) | saved p99 (ms) | keys during a refit | fit (ms, median) |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    table = header + "\n" + "\n".join(rows)
    text = (
        f"# Labeling page: keypress to next item, in Chromium\n\n"
        f"{N_KEYS} keys, one every {PACE} s, digits, batch 10, SQLite; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, torch "
        f"{torch.__version__}.\n\n{table}\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_page.md").write_text(text)
    print(text)


if __name__ == "__main__":
    threading.current_thread().name = "bench_page"
    main()
