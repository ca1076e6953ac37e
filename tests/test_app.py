"""The labeling session's JSON API (Starlette), with its refusals, and a real
uvicorn server on a free loopback port. The page and the browser test come with
the rest of issue 17."""

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from starlette.testclient import TestClient

from skactive import ActiveLearner, LabelingSession
from skactive.session._app import make_app


@pytest.fixture
def session(tmp_path):
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        batch_size=3,
        classes=list(range(10)),
        random_state=0,
    )
    with LabelingSession(learner, X, f"sqlite:///{tmp_path / 's.db'}") as opened:
        opened.truth = y
        yield opened


def test_the_api_labels_undoes_and_reports(session):
    client = TestClient(make_app(session))
    items = client.get("/api/next", params={"annotator": "ana"}).json()["items"]
    assert len(items) == 3
    shown = client.get(f"/api/item/{items[0]}").json()
    assert shown["shape"] == [64] and len(shown["values"]) == 64
    np.testing.assert_array_equal(shown["values"], session.X[int(items[0])])
    for item in items:
        answer = client.post(
            "/api/submit",
            json={
                "item_id": item,
                "label": int(session.truth[int(item)]),
                "annotator": "ana",
            },
        )
        assert answer.status_code == 200
    assert answer.json()["progress"]["n_labeled"] == 3
    assert client.post("/api/undo", json={"annotator": "ana"}).json() == {
        "undone": items[2]
    }
    assert client.post("/api/skip", json={"item_id": items[2]}).json() == {"ok": True}
    assert client.get("/api/progress").json()["n_labeled"] == 2
    assert session.progress()["n_labeled"] == 2  # the same session, the same DB


def test_the_api_refuses_bad_requests_and_changes_nothing(session):
    client = TestClient(make_app(session, max_body=200))
    item = client.get("/api/next").json()["items"][0]
    cases = [
        (client.get("/api/item/99999"), 404, "Unknown item id"),
        (
            client.post("/api/submit", json={"item_id": item, "label": 12}),
            422,
            "not one of the session's classes",
        ),
        (
            client.post("/api/submit", json={"item_id": "99999", "label": 1}),
            404,
            "Unknown item id",
        ),
        (client.post("/api/submit", json={"label": 1}), 422, "needs 'item_id'"),
        (client.post("/api/submit", content=b"not json"), 400, "not JSON"),
        (client.post("/api/submit", content=b"[1]"), 400, "JSON object"),
        (client.post("/api/submit", content=b"x" * 500), 413, "over 200 bytes"),
        (client.get("/api/next", params={"n": "-3"}), 422, "positive integer"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.text
        assert message in response.json()["error"]
    # A path never reaches the disk: only the session's ids are served.
    escaping = client.get("/api/item/..%2F..%2Fetc%2Fpasswd")
    assert escaping.status_code == 404 and "root:" not in escaping.text
    assert session.progress()["n_labeled"] == 0


def test_a_token_guards_every_request(session):
    client = TestClient(make_app(session, token="s3cret"))
    assert client.get("/api/progress").status_code == 401
    assert client.get("/api/progress", params={"token": "wrong"}).status_code == 401
    assert client.get("/api/progress", params={"token": "s3cret"}).status_code == 200
    headers = {"X-Skactive-Token": "s3cret"}
    assert client.get("/api/next", headers=headers).status_code == 200


def test_serve_runs_a_real_server_on_the_loopback_only(session):
    with pytest.raises(ValueError, match="token="):
        session.serve(host="0.0.0.0")
    server = session.serve()
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        items = httpx.get(f"{server.url}/api/next").json()["items"]
        answer = httpx.post(
            f"{server.url}/api/submit",
            json={"item_id": items[0], "label": int(session.truth[int(items[0])])},
        )
        assert answer.status_code == 200
    finally:
        server.stop()
    assert session.progress()["n_labeled"] == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/progress", timeout=2)
    guarded = session.serve(host="0.0.0.0", token="s3cret")  # any interface: token
    try:
        url = f"http://127.0.0.1:{guarded.port}/api/progress"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, params={"token": "s3cret"}).status_code == 200
    finally:
        guarded.stop()
