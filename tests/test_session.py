"""LabelingSession on a real database: SQLite and PostgreSQL, the same tests.

PostgreSQL comes from the ``postgres_url`` fixture (``conftest.py``):
$SKACTIVE_TEST_POSTGRES_URL where it is set (``.ci/run`` points it at Debian's
server), otherwise a private server the test session starts itself. The tests
fail, never skip, when it cannot be reached.
"""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import sqlalchemy as sa
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.session import LabelingSession
from skactive.session._store import EVENTS, LEASES


def _reset_postgres(postgres_url):
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            for table in ("events", "leases", "items", "meta"):
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS skactive_{table}")
    except sa.exc.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {postgres_url} ({error.orig}). Unset "
            "SKACTIVE_TEST_POSTGRES_URL to let the tests start their own server, "
            "or point it at a running one."
        )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'session.db'}"
    postgres_url = request.getfixturevalue("postgres_url")
    _reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def iris():
    return load_iris(return_X_y=True)


def _reset_database(url):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("events", "leases", "items", "meta"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS skactive_{table}")
    engine.dispose()


def _learner(**params):
    return ActiveLearner(
        LogisticRegression(max_iter=500), batch_size=4, random_state=0, **params
    )


def _events(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sa.select(EVENTS))]
    engine.dispose()
    return rows


def _label_batches(session, y, n_batches, annotator="ann"):
    for _ in range(n_batches):
        for item in session.next_batch(annotator):
            session.submit(item, int(y[int(item)]), annotator)


def test_labeled_and_leased_items_never_come_back(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url) as session:
        seen = []
        for _ in range(5):
            batch = session.next_batch("a")
            assert len(batch) == 4 and not set(batch) & set(seen)
            seen += batch
            for item in batch:
                session.submit(item, int(y[int(item)]), "a")
        other = session.next_batch("b")
        mine = session.next_batch("a")  # b's lease keeps its items from a
        assert not set(other) & set(mine) and not set(other) & set(seen)
        progress = session.progress()
        assert progress["n_labeled"] == 20 and progress["n_leased"] == 8
        assert progress["annotators"] == {"a": 20}
        labels = session.labels()
        assert list(labels["item_id"]) == seen
        np.testing.assert_array_equal(labels["label"], y[[int(i) for i in seen]])
        assert set(session.learner_.classes_) == set(labels["label"])


def test_submit_returns_after_its_label_is_committed(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url) as session:
        item = session.next_batch("a")[0]
        session.submit(item, int(y[int(item)]), "a")
        # Another connection, as another process would see it.
        assert [(e["item_id"], e["kind"], e["annotator"]) for e in _events(url)] == [
            (item, "label", "a")
        ]


@pytest.mark.parametrize("strategy", [None, "random", "albl"])
def test_a_reopened_session_asks_what_an_uninterrupted_one_would(
    url, iris, tmp_path, strategy
):
    """Random draws and a strategy that learns included: the query stream is
    seeded by the number of labels, and what the selector learned is saved."""
    from skactive.strategies import ALBL, RandomSampling

    made = {None: lambda: None, "random": RandomSampling, "albl": ALBL}[strategy]
    X, y = iris

    def _learner():
        return ActiveLearner(
            LogisticRegression(max_iter=500),
            query_strategy=made(),
            batch_size=4,
            random_state=0,
        )

    straight_url = f"sqlite:///{tmp_path / 'straight.db'}"
    with LabelingSession(_learner(), X, straight_url) as straight:
        _label_batches(straight, y, 3)
        half = straight.next_batch("ann")
        straight.submit(half[0], int(y[int(half[0])]), "ann")
        expected = straight.next_batch("ann")
    for _ in range(3):
        with LabelingSession(_learner(), X, url) as session:
            _label_batches(session, y, 1)
    with LabelingSession(_learner(), X, url) as session:
        half = session.next_batch("ann")
        session.submit(half[0], int(y[int(half[0])]), "ann")
    with LabelingSession(_learner(), X, url) as session:
        assert session.progress()["n_labeled"] == 13
        assert session.next_batch("ann") == expected


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X: X[:-1], "has 150 rows, this one 149"),
        (lambda X: X[::-1], "another order"),
        (lambda X: np.where(np.arange(150)[:, None] == 7, X + 1, X), "rows 7 changed"),
    ],
)
def test_reopening_with_another_pool_says_what_differs(url, iris, change, message):
    X, _ = iris
    LabelingSession(_learner(), X, url).close()
    with pytest.raises(ValueError, match=message):
        LabelingSession(_learner(), change(X), url)
    with pytest.raises(ValueError, match="item ids differ at rows 0"):
        LabelingSession(_learner(), X, url, ids=[f"x{i}" for i in range(150)])


def test_bad_input_is_refused_and_changes_nothing(url, iris):
    X, y = iris
    session = LabelingSession(_learner(classes=[0, 1, 2]), X, url)
    item = session.next_batch("a")[0]
    with pytest.raises(ValueError, match="Unknown item id '999'"):
        session.submit("999", 0, "a")
    with pytest.raises(ValueError, match="not one of the session's classes"):
        session.submit(item, 7, "a")
    with pytest.raises(TypeError, match="label must be a string"):
        session.submit(item, [0], "a")
    with pytest.raises(ValueError, match="leased to 'a'"):
        session.submit(item, 0, "b")
    assert _events(url) == []
    session.submit(item, np.int64(y[int(item)]), "a")  # numpy scalars are fine
    session.close()
    with pytest.raises(ValueError, match="closed"):
        session.next_batch("a")
    with pytest.raises(ValueError, match="refit_every"):
        LabelingSession(_learner(), X, url, refit_every=0)
    assert len(_events(url)) == 1


def test_leases_expire_back_into_the_queue(url, iris):
    X, _ = iris
    with LabelingSession(_learner(), X, url, lease_seconds=0.3) as session:
        first = session.next_batch("a")
        assert not set(first) & set(session.next_batch("b"))
        assert session.next_batch("a") == first  # a reload shows the same items
        time.sleep(0.4)
        assert set(first) <= set(session.next_batch("b", n=150))


def test_undo_and_skip_append_and_return_the_item(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url) as session:
        batch = session.next_batch("a")
        for item in batch[:3]:
            session.submit(item, int(y[int(item)]), "a")
        assert session.undo("a") == batch[2]
        assert session.undo("b") is None  # b labeled nothing
        session.skip(batch[3], "a")
        assert session.progress()["n_labeled"] == 2
        assert [e["kind"] for e in _events(url)] == ["label"] * 3 + ["undo", "skip"]
        later = session.next_batch("a", n=150)
        assert batch[2] in later and batch[3] not in later  # skipped: not for a
        assert batch[3] in session.next_batch("b", n=150)
        assert list(session.labels()["item_id"]) == batch[:2]
    with LabelingSession(_learner(), X, url) as reopened:  # replayed the same way
        assert list(reopened.labels()["item_id"]) == batch[:2]


def test_the_model_is_refitted_every_refit_every_labels(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url, refit_every=3) as session:
        _label_batches(session, y, 2)  # 8 labels: fitted on the first 6
        assert session.learner_.X_labeled_.shape == (6, 4)
        batch = session.next_batch("ann")
        session.submit(batch[0], int(y[int(batch[0])]), "ann")
        assert session.learner_.X_labeled_.shape == (9, 4)
    # Each label records its round: the labels the serving model had seen.
    assert [e["round"] for e in _events(url)] == [0, 0, 0, 3, 3, 3, 6, 6, 6]


def test_the_session_refits_through_the_learners_teach(url, iris):
    """Each refit teaches the serving learner the labels it lacks (its rounds
    and history follow the session) and gives the model a fresh fit would; an
    undo falls back to a fresh fit on the labels that remain."""
    X, y = iris
    with LabelingSession(_learner(), X, url, refit_every=2) as session:
        _label_batches(session, y, 2)  # 8 labels, a refit every 2
        learner = session.learner_
        assert learner.n_rounds_ == 3  # fitted on 2, then taught 2, 2 and 2
        assert [r["n_labels"] for r in learner.history_] == [2, 4, 6, 8]
        for record in learner.history_[1:]:
            np.testing.assert_array_equal(
                record["indices"], np.arange(record["n_labels"] - 2, record["n_labels"])
            )
        positions = np.asarray(session.labels()["item_id"], dtype=int)
        fresh = clone(_learner()).fit(X[positions], y[positions])
        np.testing.assert_array_equal(learner.X_labeled_, X[positions])
        np.testing.assert_allclose(learner.predict_proba(X), fresh.predict_proba(X))
        session.undo("ann")  # the serving model saw the undone label: refitted
        assert session.learner_.n_rounds_ == 0  # a fresh fit, not a taught one
        assert session.learner_.X_labeled_.shape == (6, 4)  # refit_every=2
        session.submit(session.next_batch("ann")[0], 0, "ann")
        assert [r["n_labels"] for r in session.learner_.history_] == [6, 8]


def _annotator_script(tmp_path, X, y, url, session_params):
    """A script labeling with the truth as annotator argv[1]: prints "ready",
    then each item id once its submit has returned."""
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    script = tmp_path / "annotator.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import numpy as np
            from sklearn.linear_model import LogisticRegression
            from skactive import ActiveLearner, LabelingSession
            X = np.load({str(tmp_path / "X.npy")!r})
            y = np.load({str(tmp_path / "y.npy")!r})
            name = sys.argv[1]
            learner = ActiveLearner(LogisticRegression(max_iter=500), batch_size=4,
                                    random_state=0)
            session = LabelingSession(learner, X, {url!r}, {session_params})
            print("ready", flush=True)
            while batch := session.next_batch(name):
                for item in batch:
                    session.submit(item, int(y[int(item)]), name)
                    print(item, flush=True)
            """
        )
    )
    return script


def test_every_committed_label_survives_sigkill(url, iris, tmp_path):
    """A scripted annotator is killed at random points; after each kill the
    session reopens with every label whose submit returned, once each."""
    X, y = iris
    script = _annotator_script(tmp_path, X, y, url, "lease_seconds=0.5")
    rng = np.random.RandomState(0)
    confirmed = []
    for _ in range(25):  # 25 kills per database, 50 in all
        child = subprocess.Popen(
            [sys.executable, str(script), "bot"], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        confirmed += out.split()
        events = _events(url)
        labeled = [e["item_id"] for e in events if e["kind"] == "label"]
        assert set(confirmed) <= set(labeled)  # every returned submit is there
        assert len(labeled) == len(set(labeled))  # none twice
        assert {e["annotator"] for e in events} <= {"bot"}
        for event in events:
            assert int(event["label"]) == y[int(event["item_id"])]
    time.sleep(0.6)  # the dead annotator's leases expire back into the queue
    with LabelingSession(_learner(), X, url) as session:
        assert session.progress()["n_leased"] == 0
        assert session.progress()["n_labeled"] == len(labeled)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        active = sa.select(sa.func.count()).where(LEASES.c.expires_at > time.time())
        assert connection.execute(active.select_from(LEASES)).scalar() == 0
    engine.dispose()


def test_four_annotators_at_once_never_share_an_item(url, iris, tmp_path):
    X, y = iris
    script = _annotator_script(tmp_path, X, y, url, "budget=80, refit_every=5")
    LabelingSession(_learner(), X, url).close()  # created once, opened by all
    children = [
        subprocess.Popen(
            [sys.executable, str(script), f"ann{k}"], stdout=subprocess.PIPE, text=True
        )
        for k in range(4)
    ]
    outputs = [child.communicate(timeout=300)[0].split()[1:] for child in children]
    assert [child.returncode for child in children] == [0] * 4
    confirmed = [item for out in outputs for item in out]
    assert len(confirmed) == len(set(confirmed))  # no item labeled twice
    events = _events(url)
    assert sorted(e["item_id"] for e in events) == sorted(confirmed)
    by_annotator = {e["item_id"]: e["annotator"] for e in events}
    for k, out in enumerate(outputs):
        assert all(by_annotator[item] == f"ann{k}" for item in out)
    assert len(confirmed) == 80  # leased items count against the budget


def test_a_missing_sqlalchemy_says_which_extra_to_install():
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "from skactive import LabelingSession"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert "pip install 'skactive[session]'" in out.stderr


class _BlockingLogistic(LogisticRegression):
    """A logistic regression whose fit waits for the test to release it."""

    release = None  # a threading.Event, set by the test

    def fit(self, X, y, sample_weight=None):
        if not type(self).release.wait(timeout=30):
            raise RuntimeError("the test never released the fit")
        return super().fit(X, y, sample_weight=sample_weight)


def test_a_background_refit_never_makes_the_annotator_wait(url, iris):
    import threading

    X, y = iris
    _BlockingLogistic.release = threading.Event()
    learner = ActiveLearner(
        _BlockingLogistic(max_iter=500), batch_size=4, random_state=0
    )
    with LabelingSession(learner, X, url, background_refit=True) as session:
        first = session.next_batch("a")
        for item in first:  # each submit returns while the fit is blocked
            session.submit(item, int(y[int(item)]), "a")
        assert session.learner_ is None  # no fit has finished yet
        second = session.next_batch("a")  # served meanwhile (initial strategy)
        assert len(second) == 4 and not set(second) & set(first)
        _BlockingLogistic.release.set()
        session.wait()
        assert session.learner_.X_labeled_.shape == (4, 4)


def test_a_failed_background_refit_warns_and_wait_raises(url, iris):
    X, _ = iris

    class Failing(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise ArithmeticError("no luck")

    learner = ActiveLearner(Failing(), batch_size=2, random_state=0)
    with LabelingSession(learner, X, url, background_refit=True) as session:
        item = session.next_batch("a")[0]
        with pytest.warns(RuntimeWarning, match="background refit on 1 labels failed"):
            session.submit(item, 0, "a")
            session._refit_thread.join()
        with pytest.raises(ArithmeticError, match="no luck"):
            session.wait()
        assert session.learner_ is None and len(_events(url)) == 1  # label kept


def test_should_stop_follows_the_budget_and_the_learners_criteria(url, iris):
    from skactive.stopping import MaxLabels

    X, y = iris
    with LabelingSession(_learner(), X, url, budget=8) as session:
        _label_batches(session, y, 1)
        assert not session.should_stop()
        _label_batches(session, y, 1)
        assert session.should_stop() and session.next_batch("ann") == []
    # Reopened with criteria and no budget: MaxLabels(10) decides.
    with LabelingSession(_learner(stopping=[MaxLabels(10)]), X, url) as session:
        assert not session.should_stop()
        _label_batches(session, y, 1)
        assert session.should_stop()


def test_export_import_and_the_fitted_learner(url, iris, tmp_path):
    X, y = iris
    known = {"3": int(y[3]), "77": int(y[77])}
    with pytest.raises(ValueError, match="not one of the session's classes"):
        LabelingSession(_learner(classes=[0, 1, 2]), X, url, initial_labels={"3": 9})
    with pytest.raises(TypeError, match="initial_labels must be a dict"):
        LabelingSession(_learner(), X, url, initial_labels=[("3", 0)])
    with LabelingSession(_learner(), X, url, initial_labels=known) as session:
        assert session.labels().to_dict("list") == {
            "item_id": ["3", "77"],
            "label": [known["3"], known["77"]],
            "annotator": ["import", "import"],
            "n_labels": [1, 1],
            "disagreement": [False, False],
        }
        _label_batches(session, y, 1)
        path = session.export(tmp_path / "labels.csv")
        import pandas as pd

        written = pd.read_csv(path, dtype={"item_id": str})
        assert written.shape == (6, 5)
        assert list(written["item_id"][:2]) == ["3", "77"]
        parquet = pd.read_parquet(session.export(tmp_path / "labels.parquet"))
        assert parquet.to_dict("list") == session.labels().to_dict("list")
        with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
            session.export(tmp_path / "labels.txt")
        fitted = session.fitted_learner()
        assert fitted.X_labeled_.shape == (6, 4)
    with LabelingSession(_learner(), X, url, initial_labels={"5": 0}) as again:
        assert again.progress()["n_labeled"] == 6  # imported at creation only


def test_session_info_and_its_command(url, iris, tmp_path, capsys):
    from skactive.cli import main
    from skactive.session import session_info

    X, y = iris
    with LabelingSession(_learner(), X, url) as session:
        _label_batches(session, y, 2, annotator="ana")
        session.skip(session.next_batch("bo")[0], "bo")
    info = session_info(url)
    assert info["n_items"] == 150 and info["n_labeled"] == 8
    assert info["annotators"] == {"ana": 8} and info["n_skipped"] == 1
    assert info["n_leased"] == 3 and info["n_events"] == 9
    assert main(["session", "info", url]) == 0
    out = capsys.readouterr().out
    assert "items: 150, labeled: 8, skipped: 1, leased now: 3" in out
    assert "ana: 8 labels" in out and "overlap=1" in out
    missing = tmp_path / "none.db"
    with pytest.raises(SystemExit):
        main(["session", "info", f"sqlite:///{missing}"])
    assert "no such file" in capsys.readouterr().err and not missing.exists()


def test_a_read_only_database_refuses_and_changes_nothing(iris, tmp_path):
    X, y = iris
    path = tmp_path / "session.db"
    with LabelingSession(_learner(), X, f"sqlite:///{path}") as session:
        item = session.next_batch("a")[0]
        session.submit(item, int(y[int(item)]), "a")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    session = LabelingSession(_learner(), X, read_only)
    assert session.progress()["n_labeled"] == 1  # reading works
    with pytest.raises(RuntimeError, match="refused the change"):
        session.submit("10", int(y[10]), "a")
    with pytest.raises(RuntimeError, match="refused the change"):
        session.next_batch("a")
    assert session.progress()["n_labeled"] == 1 and len(session.labels()) == 1
    session.close()
    assert len(_events(f"sqlite:///{path}")) == 1


def test_fleiss_kappa_matches_the_textbook_example():
    from skactive.session._state import fleiss_kappa

    # Fleiss (1971) as tabulated on Wikipedia: 10 items, 14 raters, 5 classes.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    votes = [[c for c, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss_kappa(votes) == pytest.approx(0.2099, abs=1e-4)
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert fleiss_kappa([]) is None and fleiss_kappa([["a", "a"]]) is None


def test_overlap_gives_each_item_to_k_annotators_and_measures_agreement(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url, overlap=2) as session:
        first = session.next_batch("a")
        second = session.next_batch("b")  # a's items still need a second label
        assert second == first
        assert not set(session.next_batch("c")) & set(first)  # two holders each
        for k, item in enumerate(first):
            session.submit(item, int(y[int(item)]), "a")
            label = int(y[int(item)]) if k < 2 else (int(y[int(item)]) + 1) % 3
            session.submit(item, label, "b")
        progress = session.progress()
        assert progress["n_complete"] == 4 and progress["n_disagreements"] == 2
        flags = session.labels().set_index("item_id")
        assert flags.loc[first, "disagreement"].tolist() == [False, False, True, True]
        assert flags.loc[first, "n_labels"].tolist() == [2, 2, 2, 2]
        assert progress["annotators"] == {"a": 4, "b": 4}
        assert progress["kappa"] < 1.0
        # A disagreement is offered to a third annotator, never to a or b again.
        review = session.review_batch("c", label_issues=False)
        assert review == first[2:]
        assert session.review_batch("a", label_issues=False) == []
        session.submit(first[2], int(y[int(first[2])]), "c")  # the tie is broken
        assert session.labels().set_index("item_id").loc[first[2], "label"] == int(
            y[int(first[2])]
        )
    from skactive.session import session_info

    info = session_info(url)
    assert info["overlap"] == 2 and info["n_disagreements"] == 2  # c left two
    assert info["kappa"] == pytest.approx(progress["kappa"])
    with pytest.raises(ValueError, match="overlap must be a positive integer"):
        LabelingSession(_learner(), X, url, overlap=0)


def test_review_offers_the_labels_find_label_issues_flags(url, iris):
    X, y = iris
    wrong = set()
    with LabelingSession(_learner(), X, url, batch_size=10) as session:
        for _ in range(6):
            for item in session.next_batch("a"):
                label = int(y[int(item)])
                if len(wrong) < 3 and label == 0:  # setosa is easy: these stand out
                    wrong.add(item)
                    label = 2
                session.submit(item, label, "a")
        review = session.review_batch("b", n=60)
        assert len(wrong) == 3 and len(wrong & set(review)) >= 2  # most of them
        assert session.review_batch("a", n=60) == []  # a labeled them all


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be a positive integer"),
        ({"budget": -1}, ValueError, "budget must be a positive integer"),
        ({"lease_seconds": 0}, ValueError, "lease_seconds must be positive"),
        ({"lease_seconds": "10"}, ValueError, "lease_seconds must be positive"),
        ({"overlap": True}, TypeError, "overlap must be a positive integer"),
    ],
)
def test_bad_parameters_are_refused_before_the_database_is_touched(
    url, iris, params, error, message
):
    X, _ = iris
    with pytest.raises(error, match=message):
        LabelingSession(_learner(), X, url, **params)
    engine = sa.create_engine(url)
    assert not sa.inspect(engine).has_table("skactive_meta")  # nothing created
    engine.dispose()


def test_a_bad_batch_size_per_call_changes_nothing(url, iris):
    X, _ = iris
    with LabelingSession(_learner(), X, url) as session:
        for bad, error in ((0, ValueError), (-2, ValueError), (1.5, TypeError)):
            with pytest.raises(error, match="n must be a positive integer"):
                session.next_batch("a", n=bad)
            with pytest.raises(error, match="n must be a positive integer"):
                session.review_batch("a", n=bad)
        assert session.progress()["n_leased"] == 0


# -- what an attack on the session found -------------------------------------------


def test_a_failing_refit_keeps_the_label_and_the_session_reopens(url, iris):
    from sklearn.calibration import CalibratedClassifierCV

    from skactive.session import RefitWarning

    X, _ = iris
    # Three folds cannot be cut from one label per class: every refit fails.
    learner = ActiveLearner(
        CalibratedClassifierCV(LogisticRegression(), cv=3), batch_size=4, random_state=0
    )
    with LabelingSession(learner, X, url) as session:
        first, second = session.next_batch("ann")[:2]
        session.submit(first, 0, "ann")  # one class: the label-free start serves
        with pytest.warns(RefitWarning, match="labels are saved"):
            assert session.submit(second, 1, "ann") is None  # returns, no raise
        assert [e["item_id"] for e in _events(url)] == [first, second]
        assert session.refit_error_ is not None
        assert session.progress()["refit_error"] is not None
        assert len(session.next_batch("ann")) == 4  # still serving
    with pytest.warns(RefitWarning):
        with LabelingSession(learner, X, url) as reopened:  # reopening works
            assert reopened.progress()["n_labeled"] == 2
            assert len(reopened.next_batch("other")) == 4


def test_a_double_submit_then_undo_leaves_the_item_unlabeled(url, iris):
    X, y = iris
    with LabelingSession(_learner(), X, url) as session:
        item = session.next_batch("ann")[0]
        session.submit(item, int(y[int(item)]), "ann")
        session.submit(item, int(y[int(item)]), "ann")  # a retried save
        assert len(_events(url)) == 1
        assert session.undo("ann") == item
        assert session.progress()["n_labeled"] == 0
        assert item not in set(session.labels().item_id)


def test_labels_are_stored_as_the_class_they_name(url, iris):
    X, _ = iris
    with LabelingSession(_learner(classes=[0, 1, 2]), X, url) as session:
        first, second = session.next_batch("ann")[:2]
        with pytest.raises(ValueError, match="is a bool"):
            session.submit(first, True, "ann")
        with pytest.raises(ValueError, match="is a str"):
            session.submit(first, "1", "ann")
        session.submit(first, 1.0, "ann")
        session.submit(second, np.int64(2), "ann")
        labels = [e["label"] for e in _events(url)]
        assert labels == ["1", "2"]  # JSON of the integer classes
    _reset_database(url)  # without classes, the labels given so far set the kind
    with LabelingSession(_learner(), X, url) as session:
        first, second, third = session.next_batch("ann")[:3]
        session.submit(first, 0, "ann")
        session.submit(second, 2.0, "ann")
        with pytest.raises(ValueError, match="is a bool"):
            session.submit(third, False, "ann")
        assert session.labels().label.tolist() == [0, 2]
        assert type(session.labels().label.tolist()[1]) is int


def test_reads_go_on_while_another_process_holds_the_write_lock(tmp_path, iris):
    import sqlite3
    import threading

    from skactive.session import session_info

    X, y = iris
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    with LabelingSession(_learner(), X, url) as session:
        _label_batches(session, y, 1)
        writer = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another process's write transaction
        answers = {}
        reader = threading.Thread(
            target=lambda: answers.update(
                progress=session.progress(), info=session_info(url)
            ),
            daemon=True,
        )
        reader.start()
        reader.join(timeout=10)  # the busy timeout is 60 s: a blocked read fails
        held = reader.is_alive()
        writer.execute("ROLLBACK")
        writer.close()
        reader.join()
        assert not held, "a read waited for the writer"
        assert answers["progress"]["n_labeled"] == 4
        assert answers["info"]["n_labeled"] == 4


def test_a_creation_killed_midway_leaves_nothing_half_made(tmp_path):
    X = np.random.RandomState(0).normal(size=(200_000, 4))
    np.save(tmp_path / "pool.npy", X)
    database = tmp_path / "big.db"
    url = f"sqlite:///{database}"
    script = tmp_path / "create.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import numpy as np
            from sklearn.linear_model import LogisticRegression
            from skactive import ActiveLearner
            from skactive.session import LabelingSession
            X = np.load({str(tmp_path / "pool.npy")!r})
            LabelingSession(ActiveLearner(LogisticRegression()), X, {url!r})
            """
        )
    )
    process = subprocess.Popen([sys.executable, str(script)])
    wal = database.with_name(database.name + "-wal")
    deadline = time.monotonic() + 120
    # Killed while the items go in: the write-ahead log is growing.
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the creation ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with LabelingSession(_learner(), X, url) as session:  # opens: created anew
        assert session.progress()["n_items"] == 200_000
        assert len(session.next_batch("ann")) == 4
