"""The labeling session over HTTP: a JSON API on Starlette, served by uvicorn.

Safe by default: it binds 127.0.0.1; another interface needs a token that every
request carries (``X-Skactive-Token`` header or ``token`` query parameter); only
the session's own item ids are ever served; labels are checked by the session;
request bodies are limited in size.
"""

import hmac
import json
import socket
import threading
import time

__all__ = ["LabelingServer", "make_app"]

#: Largest request body accepted, in bytes (a label is a few dozen).
MAX_BODY_BYTES = 16_384
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def make_app(session, token=None, max_body=MAX_BODY_BYTES):
    """A Starlette app serving ``session``'s JSON API.

    Routes: ``GET /api/next?annotator=&n=``, ``GET /api/item/{item_id}``,
    ``POST /api/submit`` ``{"item_id", "label", "annotator"}``,
    ``POST /api/skip`` ``{"item_id", "annotator"}``, ``POST /api/undo``
    ``{"annotator"}`` and ``GET /api/progress``.
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    lock = threading.Lock()  # one session call at a time (the session is not reentrant)

    def error(status, message):
        return JSONResponse({"error": message}, status_code=status)

    async def body(request):
        data = await request.body()
        if len(data) > max_body:
            raise _Refused(413, f"request body over {max_body} bytes")
        try:
            payload = json.loads(data or b"{}")
        except ValueError as bad:
            raise _Refused(400, f"the body is not JSON ({bad})") from bad
        if not isinstance(payload, dict):
            raise _Refused(400, "the body must be a JSON object")
        return payload

    def call(function, *args):
        try:
            with lock:
                return function(*args)
        except ValueError as bad:
            unknown = str(bad).startswith("Unknown item id")
            raise _Refused(404 if unknown else 422, str(bad)) from bad
        except TypeError as bad:
            raise _Refused(422, str(bad)) from bad

    async def next_items(request):
        annotator = request.query_params.get("annotator", "default")
        n = request.query_params.get("n")
        if n is not None and not n.isdigit():
            raise _Refused(422, "n must be a positive integer")
        items = call(session.next_batch, annotator, None if n is None else int(n))
        return JSONResponse({"items": [str(i) for i in items]})

    async def item(request):
        return JSONResponse(call(session.describe_item, request.path_params["item_id"]))

    async def submit(request):
        payload = await body(request)
        for key in ("item_id", "label"):
            if key not in payload:
                raise _Refused(422, f"the body needs {key!r}")
        annotator = str(payload.get("annotator", "default"))
        call(session.submit, payload["item_id"], payload["label"], annotator)
        return JSONResponse({"ok": True, "progress": call(session.progress)})

    async def skip(request):
        payload = await body(request)
        if "item_id" not in payload:
            raise _Refused(422, "the body needs 'item_id'")
        annotator = str(payload.get("annotator", "default"))
        call(session.skip, payload["item_id"], annotator)
        return JSONResponse({"ok": True})

    async def undo(request):
        payload = await body(request)
        annotator = str(payload.get("annotator", "default"))
        return JSONResponse({"undone": call(session.undo, annotator)})

    async def progress(request):
        return JSONResponse(call(session.progress))

    async def refused(request, exc):
        return error(exc.status, exc.message)

    middleware = [Middleware(_Guard, token=token, max_body=max_body)]
    routes = [
        Route("/api/next", next_items),
        Route("/api/item/{item_id:str}", item),
        Route("/api/submit", submit, methods=["POST"]),
        Route("/api/skip", skip, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
        Route("/api/progress", progress),
    ]
    return Starlette(
        routes=routes, middleware=middleware, exception_handlers={_Refused: refused}
    )


class _Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class _Guard:
    """ASGI middleware: the token, and a declared body size, before any route."""

    def __init__(self, app, token, max_body):
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        request = Request(scope)
        if self.token is not None:
            given = request.headers.get("x-skactive-token") or request.query_params.get(
                "token", ""
            )
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                response = JSONResponse({"error": "a valid token is needed"}, 401)
                return await response(scope, receive, send)
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_body
        ):
            response = JSONResponse(
                {"error": f"request body over {self.max_body} bytes"}, 413
            )
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


class LabelingServer:
    """A uvicorn server for a session, in a background thread.

    ``url`` is where it listens; ``stop()`` shuts it down. Binding anything but
    the loopback interface needs a ``token``.
    """

    def __init__(self, session, host="127.0.0.1", port=0, token=None):
        if host not in _LOOPBACK and not token:
            raise ValueError(
                f"host={host!r} exposes the session beyond this machine: pass "
                "token=<a secret> (every request must then carry it), or keep "
                "host='127.0.0.1'."
            )
        import uvicorn

        self._socket = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
        )
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, self._socket.getsockname()[1]
        self.token = token
        config = uvicorn.Config(
            make_app(session, token=token), log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the labeling server did not start within 10 s")

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self):
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
