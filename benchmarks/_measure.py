"""Shared by the benchmark scripts: peak memory of a block, cases in fresh processes."""

import gc
import multiprocessing
import os
import threading
import time


def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak resident set during a block, above the resident set before it."""

    def __enter__(self):
        gc.collect()
        self.before = _rss_bytes()
        self.peak = self.before
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())
        self.extra_mib = (self.peak - self.before) / 2**20


def run_in_process(target, args, timeout=None):
    """Run ``target(*args, queue)`` in a fresh (spawned) process; its result, or
    None when it did not finish within ``timeout`` seconds."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception:  # queue.Empty on timeout
        result = None
    if result is None:
        process.kill()
    process.join()
    return result


class ModALShim:
    """What modAL's ranked batch reads from its learner: the model's
    probabilities and the labeled rows, untransformed."""

    on_transformed = False

    def __init__(self, model, X_training):
        self.estimator, self.X_training = model, X_training

    def predict_proba(self, X):
        return self.estimator.predict_proba(X)

    def transform_without_estimating(self, X):
        return X
