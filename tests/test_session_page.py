"""What the labeling page reads from a session: items as shown, why each was
chosen, the prequential learning curve, the undo that hands an item back, the
schema migration, and the notebook frame."""

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, LabelingSession
from skactive.session import PageFrame
from skactive.session._view import ItemView
from skactive.strategies import UncertaintySampling

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)


def _session(tmp_path, **options):
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        batch_size=4,
        classes=list(range(10)),
        random_state=0,
    )
    url = f"sqlite:///{tmp_path / 's.db'}"
    return LabelingSession(learner, X_DIGITS, url, **options)


def _label(session, n, annotator="default", wrong=()):
    given = []
    while len(given) < n:
        for item in session.next_batch(annotator):
            label = int(Y_DIGITS[int(item)])
            if item in wrong:
                label = (label + 1) % 10
            session.submit(item, label, annotator)
            given.append((item, label))
            if len(given) == n:
                break
    return given


def test_items_are_shown_as_images_texts_tables_or_numbers(tmp_path):
    image = ItemView(X_DIGITS, image_shape=(8, 8)).describe(5)
    assert (image["kind"], image["height"], image["width"]) == ("image", 8, 8)
    pixels = np.array(image["pixels"])
    expected = X_DIGITS[5] / X_DIGITS[5].max() * 255
    np.testing.assert_array_equal(pixels, np.rint(expected))
    texts = ["a <b>bold</b> claim", "two", "three"]
    assert ItemView(np.zeros((3, 2)), display=texts).describe(0) == {
        "kind": "text",
        "text": texts[0],
    }
    frame = pd.DataFrame({"age": [31, 40], "city": ["Oslo", "Rome"]})
    assert ItemView(frame).describe(1) == {
        "kind": "table",
        "columns": ["age", "city"],
        "values": [40, "Rome"],
    }
    rgb = np.random.RandomState(0).rand(2, 4, 5, 3)
    view = ItemView(np.zeros((2, 1)), display=rgb).describe(1)
    assert (view["channels"], len(view["pixels"])) == (3, 4 * 5 * 3)
    values = ItemView(np.arange(500.0).reshape(2, 250)).describe(1)
    assert values["kind"] == "values" and values["n_values"] == 250
    assert values["values"][:2] == [250.0, 251.0] and len(values["values"]) == 200


def test_bad_display_and_image_shape_are_clear_errors():
    with pytest.raises(ValueError, match=r"image_shape=.*as many pixels"):
        ItemView(X_DIGITS, image_shape=(7, 7))
    with pytest.raises(ValueError, match="image_shape"):
        ItemView(X_DIGITS, image_shape=(64,))
    with pytest.raises(ValueError, match="one entry per pool row"):
        ItemView(np.zeros((3, 2)), display=["a", "b"])
    with pytest.raises(ValueError, match="one image per pool row"):
        ItemView(np.zeros((3, 2)), display=np.zeros((3, 4)))
    with pytest.raises(TypeError, match="strings"):
        ItemView(np.zeros((2, 2)), display=[1, 2])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=4, max_size=4))
def test_image_pixels_span_0_to_255_of_any_range(values):
    view = ItemView(np.array([values]), image_shape=(2, 2)).describe(0)
    pixels = np.array(view["pixels"])
    assert pixels.min() >= 0 and pixels.max() <= 255
    if max(values) > min(values):
        assert pixels.min() == 0 and pixels.max() == 255
        assert pixels[int(np.argmax(values))] == 255
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(pixels[order]) >= 0)  # brighter never means smaller


def test_why_is_the_strategy_and_its_score_for_the_item(tmp_path):
    with _session(tmp_path) as session:
        first = session.next_batch("ana")
        assert session.describe_item(first[0])["why"]["strategy"].startswith("random")
        _label(session, 8, "ana")
        items = session.next_batch("ana")
        model = session.fitted_learner().estimator_
        scores = UncertaintySampling().score_samples(
            model, X_DIGITS[[int(i) for i in items]]
        )
        for item, score in zip(items, scores, strict=True):
            why = session.describe_item(item)["why"]
            assert why["strategy"] == "UncertaintySampling()"
            assert why["score"] == pytest.approx(score)
        assert list(scores) == sorted(scores, reverse=True)  # best first


def test_the_learning_curve_is_test_then_train_accuracy(tmp_path):
    with _session(tmp_path) as session:
        given = _label(session, 30, wrong={str(i) for i in range(0)})
        curve = session.learning_curve(window=10)
        events = pd.read_sql(
            "SELECT event, round, label, predicted FROM skactive_events "
            "WHERE predicted IS NOT NULL ORDER BY event",
            session._store.engine,
        )
        right = (
            events.label.map(json.loads) == events.predicted.map(json.loads)
        ).to_numpy()
        assert curve["n_checked"] == len(events) == 29  # the first had no model
        assert curve["n_labels"] == events["round"].tolist()
        assert curve["n_labels"] == list(range(1, 30))  # refit after every label
        expected = [right[max(0, k - 9) : k + 1].mean() for k in range(len(right))]
        got = np.array([np.nan if a is None else a for a in curve["accuracy"]])
        assert np.isnan(got[:4]).all()  # fewer than 5 checked
        np.testing.assert_allclose(got[4:], expected[4:])
        session.undo()  # an undone label leaves the curve
        assert session.learning_curve(window=10)["n_checked"] == 28
        assert len(given) == 30
        for bad in (0, -1, 2.5, "10"):
            with pytest.raises(ValueError, match="window"):
                session.learning_curve(window=bad)


def test_undo_hands_the_item_back_first_in_the_batch(tmp_path):
    with _session(tmp_path) as session:
        batch = session.next_batch("ana")
        session.submit(batch[0], int(Y_DIGITS[int(batch[0])]), "ana")
        assert session.undo("ana") == batch[0]
        assert session.next_batch("ana") == [batch[0], *batch[1:]]
        assert session.history("ana") == []
        assert batch[0] not in session.next_batch("bob")


def test_a_version_1_database_is_migrated_on_open(tmp_path):
    with _session(tmp_path) as session:
        _label(session, 3)
        engine = session._store.engine
    with engine.begin() as connection:  # what a version-1 release wrote
        for table, column in [
            ("skactive_events", "predicted"),
            ("skactive_leases", "strategy"),
            ("skactive_leases", "score"),
        ]:
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        connection.exec_driver_sql(
            "UPDATE skactive_meta SET value = '1' WHERE key = 'schema_version'"
        )
    with _session(tmp_path) as reopened:
        assert reopened.progress()["n_labeled"] == 3
        _label(reopened, 2)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("skactive_events")}
        assert "predicted" in columns
        assert reopened.learning_curve()["n_checked"] == 2  # the two new labels
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE skactive_meta SET value = '99' WHERE key = 'schema_version'"
        )
    with pytest.raises(ValueError, match="newer skactive"):
        _session(tmp_path)


def test_the_notebook_frame_points_at_a_running_page(tmp_path):
    import httpx

    with _session(tmp_path) as session:
        frame = session.widget(annotator="ana b")
        assert isinstance(frame, PageFrame)
        assert frame.url.endswith("/?annotator=ana+b")
        assert f'src="{frame.url}"' in frame._repr_html_()
        assert "<iframe" in frame._repr_html_()
        assert httpx.get(frame.url).status_code == 200
        assert session.widget().server is frame.server  # one server, reused
    with pytest.raises(httpx.ConnectError):  # close() stopped it
        httpx.get(frame.url, timeout=2)


class _CountingLogistic(LogisticRegression):
    """Counts the fits running at once (a slow fit, so labels arrive meanwhile)."""

    running, most = [0], [0]

    def fit(self, X, y, sample_weight=None):
        import time

        self.running[0] += 1
        self.most[0] = max(self.most[0], self.running[0])
        try:
            time.sleep(0.1)
            return super().fit(X, y, sample_weight)
        finally:
            self.running[0] -= 1


def test_background_fits_run_one_at_a_time_and_end_on_the_latest_labels(tmp_path):
    _CountingLogistic.running[0] = _CountingLogistic.most[0] = 0
    learner = ActiveLearner(
        _CountingLogistic(max_iter=200), batch_size=8, classes=list(range(10))
    )
    url = f"sqlite:///{tmp_path / 'b.db'}"
    with LabelingSession(learner, X_DIGITS, url, background_refit=True) as session:
        items = session.next_batch()
        for item in items:  # faster than a fit: they pile up unless coalesced
            session.submit(item, int(Y_DIGITS[int(item)]))
        fitted = session.fitted_learner()
        assert _CountingLogistic.most[0] == 1
        assert sorted(fitted.X_labeled_.tolist()) == sorted(
            X_DIGITS[[int(i) for i in items]].tolist()
        )


def test_session_info_reads_an_older_database_without_migrating_it(tmp_path):
    from skactive.session import session_info

    with _session(tmp_path) as session:
        _label(session, 3)
        engine = session._store.engine
    with engine.begin() as connection:  # what a version-1 release wrote
        connection.exec_driver_sql("ALTER TABLE skactive_events DROP COLUMN predicted")
        connection.exec_driver_sql(
            "UPDATE skactive_meta SET value = '1' WHERE key = 'schema_version'"
        )
    info = session_info(f"sqlite:///{tmp_path / 's.db'}")
    assert info["n_labeled"] == 3 and info["schema_version"] == 1
    columns = {c["name"] for c in sa.inspect(engine).get_columns("skactive_events")}
    assert "predicted" not in columns  # a read changed nothing


def test_why_this_item_stores_the_score_that_chose_it(tmp_path):
    from skactive.nets import TorchMLPClassifier
    from skactive.strategies import BALD

    learner = ActiveLearner(
        TorchMLPClassifier((32,), dropout=0.5, max_epochs=5, random_state=0),
        query_strategy=BALD(n_samples=4),  # few masks: scores vary by stream
        batch_size=8,
        classes=list(range(10)),
        random_state=0,
    )
    url = f"sqlite:///{tmp_path / 'why.db'}"
    with LabelingSession(learner, X_DIGITS, url) as session:
        _label(session, 12)
        batch = session.next_batch("rita")
        scores = [session._store.why(item)[1] for item in batch]
        # The batch is the top of the scores that chose it, in their order.
        assert scores == sorted(scores, reverse=True)
        rows = X_DIGITS[[int(item) for item in batch]]
        np.testing.assert_allclose(scores, session.learner_.query_scores(rows))
