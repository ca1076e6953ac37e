"""``session.widget()`` in a real Jupyter kernel (ipykernel, driven by
jupyter_client): the page's server runs in a background thread, so the kernel
keeps answering while labels arrive over HTTP."""

import re
import textwrap
import threading
import time

import httpx
from jupyter_client.manager import start_new_kernel
from sklearn.datasets import load_digits

TRUTH = load_digits().target


def _run(client, code):
    """Execute ``code`` in the kernel; its stdout, or an AssertionError."""
    out = []

    def hook(message):
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            out.append(message["content"]["text"])
        if message["msg_type"] == "error":
            out.append("\n".join(message["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=60, output_hook=hook)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def test_the_kernel_answers_while_labels_arrive(tmp_path):
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        setup = f"""
            import torch; torch.set_num_threads(1)
            from sklearn.datasets import load_digits
            from sklearn.linear_model import LogisticRegression
            from skactive import ActiveLearner, LabelingSession
            X, _ = load_digits(return_X_y=True)
            learner = ActiveLearner(LogisticRegression(max_iter=200), batch_size=5,
                                    classes=list(range(10)), random_state=0)
            session = LabelingSession(learner, X, "sqlite:///{tmp_path / "nb.db"}",
                                      image_shape=(8, 8))
            frame = session.widget(annotator="ana")
            print(frame.url)
        """
        url = _run(client, textwrap.dedent(setup)).strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?annotator=ana", url)
        base = url.split("/?")[0]
        assert "<iframe" in _run(client, "print(frame._repr_html_())")

        def annotate():
            with httpx.Client(base_url=base, timeout=30) as http:
                labeled = 0
                while labeled < 20:
                    for item in http.get("/api/next?annotator=ana").json()["items"]:
                        body = {"item_id": item, "label": int(TRUTH[int(item)])}
                        http.post("/api/submit", json=body | {"annotator": "ana"})
                        labeled += 1
                        time.sleep(0.05)  # a person's pace, so the two interleave
                        if labeled == 20:
                            break

        annotator = threading.Thread(target=annotate)
        annotator.start()
        seen = []
        while annotator.is_alive():  # the kernel runs cells meanwhile
            seen.append(int(_run(client, "print(session.progress()['n_labeled'])")))
        annotator.join()
        seen.append(int(_run(client, "print(session.progress()['n_labeled'])")))
        assert seen == sorted(seen) and seen[-1] == 20
        assert any(0 < count < 20 for count in seen)  # answered mid-labeling
        assert _run(client, "print(len(session.labels()))").strip() == "20"
        _run(client, "session.close()")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
