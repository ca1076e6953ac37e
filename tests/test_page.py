"""The labeling page in a real browser: Debian's Chromium, driven by Selenium.

The server is ``python -m skactive label --demo`` in a subprocess, so that it can
be killed with SIGKILL and started again on the same database. The browser and
its driver are Debian's, provided by the ``chromium`` fixture (``conftest.py``
installs them as root where they are missing); without them these tests fail,
they never skip.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, LabelingSession

TRUTH = load_digits().target


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DemoServer:
    """``python -m skactive label --demo`` on a fixed port and database."""

    def __init__(self, url, port):
        self.url, self.port, self.process = url, port, None

    def start(self):
        command = [sys.executable, "-m", "skactive", "label", "--demo"]
        command += ["--url", self.url, "--port", str(self.port)]
        command += ["--estimator", "logreg", "--batch-size", "4", "--budget", "60"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for line in self.process.stdout:  # it prints the page's address when up
            if line.startswith("Labeling page:"):
                return f"http://127.0.0.1:{self.port}"
        raise AssertionError(f"the server did not start (exit {self.process.wait()})")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def browsers(chromium):
    browser, driver_path = chromium
    opened = []

    def open_browser():
        options = webdriver.ChromeOptions()
        for argument in ("--headless=new", "--no-sandbox", "--window-size=1200,800"):
            options.add_argument(argument)
        options.binary_location = browser
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        opened.append(driver)
        return driver

    yield open_browser
    for driver in opened:
        driver.quit()


@pytest.fixture
def server(tmp_path):
    demo = DemoServer(f"sqlite:///{tmp_path / 'labels.db'}", _free_port())
    yield demo
    if demo.process is not None and demo.process.poll() is None:
        demo.kill()


def _page(driver, address, annotator):
    driver.get(f"{address}/?annotator={annotator}")
    _wait(driver, "return window.skactive && window.skactive.ready")
    return driver.find_element("tag name", "body")


def _wait(driver, script, timeout=60):
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(
        lambda d: d.execute_script(script)
    )


def _shown(driver):
    return driver.execute_script("return window.skactive.shown")


def _label_by_key(driver, body, n, wait_last=True):
    """Label ``n`` items with their true digit's key, each once it is on screen;
    ``{item: label}``."""
    given = {}
    for k in range(n):
        item = _shown(driver)
        body.send_keys(str(TRUTH[int(item)]))
        given[item] = int(TRUTH[int(item)])
        if k == n - 1 and not wait_last:
            break
        shown = f"window.skactive.shown !== {item!r} && window.skactive.shown !== null"
        _wait(driver, "return " + shown)
    return given


def _page_history(driver):
    entries = driver.find_elements("css selector", "#history li")
    return {
        e.get_attribute("data-item"): int(e.get_attribute("data-label"))
        for e in entries
    }


def _database_labels(url, annotator):
    from skactive.cli._label import load_pool

    class Demo:
        demo = True

    X, options, classes = load_pool(Demo)
    learner = ActiveLearner(LogisticRegression(), classes=classes)
    with LabelingSession(learner, X, url, **options) as session:
        labels = session.labels()
    mine = labels[labels.annotator == annotator]
    return dict(zip(mine.item_id, mine.label.astype(int), strict=True))


def test_label_by_keyboard_undo_reload_and_survive_sigkill(browsers, server, tmp_path):
    address = server.start()
    driver = browsers()
    body = _page(driver, address, "alice")
    given = _label_by_key(driver, body, 20)
    assert len(given) == 20
    last = _shown(driver)
    _wait(driver, "return window.skactive.pending === 0")
    undone = list(given)[-1]
    body.send_keys(Keys.BACKSPACE)  # the last label comes back on screen
    _wait(driver, f"return window.skactive.shown === {undone!r}")
    del given[undone]
    _wait(driver, "return window.skactive.pending === 0")
    assert _page_history(driver) == given
    assert _database_labels(server.url, "alice") == given

    body = _page(driver, address, "alice")  # a reload shows the undone item again
    assert _shown(driver) == undone
    assert last in driver.execute_script("return window.skactive.queued()")
    assert _page_history(driver) == given

    server.kill()  # labels typed while the server is dead wait in the page
    offline = _label_by_key(driver, body, 2, wait_last=False)
    _wait(driver, "return window.skactive.pending === 2")
    assert "retrying" in driver.find_element("id", "status").text
    server.start()
    _wait(driver, "return window.skactive.pending === 0")
    given.update(offline)
    assert _database_labels(server.url, "alice") == given

    body = _page(driver, address, "alice")  # after the restart: page and DB agree
    assert _page_history(driver) == given
    assert _database_labels(server.url, "alice") == given
    labeled = driver.find_element("id", "progress-text").get_attribute("data-labeled")
    assert int(labeled) == len(given)
    _wait(driver, "return document.getElementById('curve').dataset.points > 0")
    shot = tmp_path / "labeling_page.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("SKACTIVE_SCREENSHOT"):  # how the README's picture is made
        shutil.copy(shot, os.environ["SKACTIVE_SCREENSHOT"])


def test_two_annotators_in_two_browsers_never_see_the_same_item(browsers, server):
    address = server.start()
    alice, bob = browsers(), browsers()
    alice_body, bob_body = _page(alice, address, "alice"), _page(bob, address, "bob")
    seen = {"alice": set(), "bob": set()}
    for _ in range(6):  # turns, so that both hold leases at once
        for name, driver, body in (
            ("alice", alice, alice_body),
            ("bob", bob, bob_body),
        ):
            seen[name].add(_shown(driver))
            seen[name].update(driver.execute_script("return window.skactive.queued()"))
            _label_by_key(driver, body, 1)
    for driver in (alice, bob):
        _wait(driver, "return window.skactive.pending === 0")
    assert len(seen["alice"]) >= 6 and len(seen["bob"]) >= 6
    assert seen["alice"].isdisjoint(seen["bob"])
    labels = _database_labels(server.url, "alice"), _database_labels(server.url, "bob")
    assert len(labels[0]) == len(labels[1]) == 6
    assert set(labels[0]).isdisjoint(labels[1])
    assert np.all([TRUTH[int(i)] == v for i, v in labels[0].items()])


def test_texts_are_shown_as_text_never_as_html(browsers, tmp_path):
    attack = "<b>bold</b><img src=x onerror='window.pwned=1'>"
    texts = [f"review {k}: {attack}" for k in range(6)]
    learner = ActiveLearner(
        LogisticRegression(), classes=["good", "bad"], random_state=0
    )
    url = f"sqlite:///{tmp_path / 't.db'}"
    X = np.arange(12.0).reshape(6, 2)
    with LabelingSession(learner, X, url, display=texts) as session:
        server = session.serve()
        try:
            driver = browsers()
            body = _page(driver, server.url, "ana")
            shown = driver.find_element("css selector", "#item pre").text
            assert shown == texts[int(_shown(driver))]
            assert driver.find_elements("css selector", "#item b, #item img") == []
            body.send_keys("1")  # "good" is the first class: key 1
            _wait(driver, "return window.skactive.pending === 0")
            assert driver.execute_script("return window.pwned") is None
        finally:
            server.stop()
        assert session.labels().label.tolist() == ["good"]
