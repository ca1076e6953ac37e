"""The labeling session's JSON API (Starlette), with its refusals, and a real
uvicorn server on a free loopback port. The page and the browser test come with
the rest of issue 17."""

import json

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


JSON = {"Content-Type": "application/json"}


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
        (
            client.post("/api/submit", content=b"not json", headers=JSON),
            400,
            "not JSON",
        ),
        (client.post("/api/submit", content=b"[1]", headers=JSON), 400, "JSON object"),
        (
            client.post("/api/submit", content=b"x" * 500, headers=JSON),
            413,
            "over 200 bytes",
        ),
        (client.get("/api/next", params={"n": "-3"}), 422, "integer from 1 to 1000"),
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


def test_the_page_is_one_local_document_and_its_routes_answer(session):
    client = TestClient(make_app(session))
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith(
        "text/html"
    )
    # Script and style inline: the page asks for nothing but the API.
    assert "<script src" not in page.text and "<link" not in page.text
    assert "http://" not in page.text and "https://" not in page.text
    assert "/api/next" in page.text and "keydown" in page.text
    config = client.get("/api/config").json()
    assert config["classes"] == list(range(10))
    assert config["keys"] == [str(i) for i in range(10)]  # the digits themselves
    item = client.get("/api/next", params={"annotator": "ana"}).json()["items"][0]
    shown = client.get(f"/api/item/{item}").json()
    assert shown["why"]["strategy"].startswith("random")  # nothing labeled yet
    client.post("/api/submit", json={"item_id": item, "label": 3, "annotator": "ana"})
    history = client.get("/api/history", params={"annotator": "ana"}).json()
    assert history == {"labels": [{"item_id": item, "label": 3}]}
    assert client.get("/api/curve").json()["n_checked"] == 0  # no model predicted it
    assert client.get("/api/media/0").status_code == 404  # rows, not image files
    assert client.get("/favicon.ico").status_code == 204


def test_the_api_refuses_bad_annotators_and_the_token_guards_the_page(session):
    client = TestClient(make_app(session))
    for name in ("", " ", "x" * 256):
        answer = client.get("/api/next", params={"annotator": name})
        assert answer.status_code == 422 and "annotator" in answer.json()["error"]
        answer = client.post("/api/undo", json={"annotator": name})
        assert answer.status_code == 422
    answer = client.post("/api/skip", json={"item_id": "0", "annotator": 7})
    assert answer.status_code == 422
    assert session.progress()["n_leased"] == 0 and session.progress()["n_skipped"] == 0
    guarded = TestClient(make_app(session, token="s3cret"))
    assert guarded.get("/").status_code == 401
    assert guarded.get("/api/media/0").status_code == 401
    assert guarded.get("/", params={"token": "s3cret"}).status_code == 200


def test_image_files_are_served_by_item_id_only(tmp_path):
    X = np.arange(12, dtype=float).reshape(3, 4)
    paths = []
    for k in range(3):
        path = tmp_path / f"item{k}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([k]) * 20)
        paths.append(path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    learner = ActiveLearner(LogisticRegression(), classes=["a", "b"], random_state=0)
    url = f"sqlite:///{tmp_path / 's.db'}"
    with LabelingSession(learner, X, url, display=paths) as session:
        client = TestClient(make_app(session))
        assert client.get("/api/config").json()["kind"] == "image_file"
        answer = client.get("/api/media/1")
        assert (
            answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        )
        assert answer.content == paths[1].read_bytes()
        assert client.get("/api/item/1").json()["view"] == {"kind": "image_file"}
        for bad in ("3", "..%2Fsecret.txt", str(secret), "%2E%2E"):
            answer = client.get(f"/api/media/{bad}")
            assert answer.status_code == 404 and "not for" not in answer.text


def test_every_malformed_request_is_a_4xx(session):
    client = TestClient(make_app(session), raise_server_exceptions=False)
    nested = "[" * 100_000 + "]" * 100_000
    client_big = TestClient(make_app(session, max_body=300_000))
    answer = client_big.post(
        "/api/submit", content=nested, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and "nested too deeply" in answer.json()["error"]
    for n in ("²", "٣", "0", "-1", "1e3", "100000"):  # unicode digits, out of range
        answer = client.get("/api/next", params={"n": n})
        assert answer.status_code == 422, n
    odd = [
        {"item_id": ["0"], "label": 1},
        {"item_id": "0", "label": {"a": 1}},
        {"item_id": "0", "label": 1, "annotator": 7},
    ]
    for body in odd:
        assert 400 <= client.post("/api/submit", json=body).status_code < 500, body
    assert session.progress()["n_labeled"] == 0


def test_another_site_cannot_write_labels(session):
    client = TestClient(make_app(session))
    item = client.get("/api/next").json()["items"][0]
    body = json.dumps({"item_id": item, "label": 1})
    beacon = client.post(
        "/api/submit",
        content=body,
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
    )
    assert beacon.status_code == 403
    form = client.post(
        "/api/submit", content=body, headers={"Content-Type": "text/plain"}
    )
    assert form.status_code == 415
    for path in ("/api/skip", "/api/undo"):
        cross = client.post(
            path,
            json={"item_id": item},
            headers={"Origin": "http://evil.example"},
        )
        assert cross.status_code == 403
    assert session.progress()["n_labeled"] == 0 and session.history() == []
    # The page itself (same origin, JSON) still writes.
    same = client.post(
        "/api/submit",
        json={"item_id": item, "label": 1},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 200


def test_the_loopback_server_refuses_another_host_name(session):
    server = session.serve()
    try:
        url = f"{server.url}/api/progress"
        assert httpx.get(url).status_code == 200
        rebound = httpx.get(url, headers={"Host": f"evil.example:{server.port}"})
        assert rebound.status_code == 403
        assert httpx.get(url, headers={"Host": f"localhost:{server.port}"}).is_success
    finally:
        server.stop()
