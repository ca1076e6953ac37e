"""The labeling session over HTTP: a JSON API on Starlette, served by uvicorn.

Safe by default: it binds 127.0.0.1; another interface needs a token that every
request carries (``X-Skactive-Token`` header or ``token`` query parameter); only
the session's own item ids are ever served; labels are checked by the session;
request bodies are limited in size. Other web pages the annotator opens cannot
write: a change (``POST``) must be ``application/json`` (a cross-site form or
``text/plain`` beacon cannot send that without the browser's CORS check, which
this server never grants), a request whose ``Origin`` is not the server itself
is refused, and on loopback the ``Host`` must be a loopback name (no DNS
rebinding). Every malformed request is a 4xx, never a 500.
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


def make_app(session, token=None, max_body=MAX_BODY_BYTES, allowed_hosts=None):
    """A Starlette app serving ``session``'s labeling page and JSON API.

    Routes: ``GET /`` (the page, its script and style inline: no other asset,
    no CDN), ``GET /api/config``, ``GET /api/next?annotator=&n=``,
    ``GET /api/item/{item_id}``, ``GET /api/media/{item_id}`` (an item's image
    file), ``POST /api/submit`` ``{"item_id", "label", "annotator"}``,
    ``POST /api/skip`` ``{"item_id", "annotator"}``, ``POST /api/undo``
    ``{"annotator"}``, ``GET /api/progress``, ``GET /api/history?annotator=``
    and ``GET /api/curve``. ``allowed_hosts``: the only ``Host`` names
    accepted (None accepts any).
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    api = _Api(session, max_body)

    async def refused(request, exc):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    routes = [
        Route("/", api.page),
        Route("/favicon.ico", api.no_icon),
        Route("/api/config", api.config),
        Route("/api/next", api.next_items),
        Route("/api/item/{item_id:str}", api.item),
        Route("/api/media/{item_id:str}", api.media),
        Route("/api/submit", api.submit, methods=["POST"]),
        Route("/api/skip", api.skip, methods=["POST"]),
        Route("/api/undo", api.undo, methods=["POST"]),
        Route("/api/progress", api.progress),
        Route("/api/history", api.history),
        Route("/api/curve", api.curve),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                _Guard, token=token, max_body=max_body, allowed_hosts=allowed_hosts
            )
        ],
        exception_handlers={_Refused: refused},
    )


def page_html():
    """The labeling page: one HTML document with its script and style inline."""
    from importlib.resources import files

    static = files("skactive.session") / "static"
    text = (static / "page.html").read_text(encoding="utf-8")
    for name in ("page.css", "page.js"):
        text = text.replace(f"/*{name}*/", (static / name).read_text(encoding="utf-8"))
    return text


def shortcut_keys(classes):
    """One key per class: the labels themselves when each is one distinct
    character (digits, letters), else 1-9 for the first nine classes."""
    names = [str(c) for c in classes]
    if names and all(len(n) == 1 and n.strip() for n in names):
        if len(set(n.lower() for n in names)) == len(names):
            return names
    return [str(i + 1) if i < 9 else None for i in range(len(names))]


class _Api:
    """The routes: each checks its request and makes one session call, in a
    worker thread so that a long call (a refit) never stalls the event loop."""

    def __init__(self, session, max_body):
        self.session, self.max_body = session, max_body
        self.lock = threading.Lock()  # one session call at a time
        self.html = page_html()

    @staticmethod
    def _json(payload):
        from starlette.responses import JSONResponse

        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    async def _body(self, request, *required):
        data = await request.body()
        if len(data) > self.max_body:
            raise _Refused(413, f"request body over {self.max_body} bytes")
        try:
            payload = json.loads(data or b"{}")
        except ValueError as bad:
            raise _Refused(400, f"the body is not JSON ({bad})") from bad
        except RecursionError as deep:
            raise _Refused(400, "the body is JSON nested too deeply") from deep
        if not isinstance(payload, dict):
            raise _Refused(400, "the body must be a JSON object")
        for key in required:
            if key not in payload:
                raise _Refused(422, f"the body needs {key!r}")
        return payload, _annotator(payload.get("annotator", "default"))

    async def _call(self, function, *args):
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._locked, function, *args)

    def _locked(self, function, *args):
        try:
            with self.lock:
                return function(*args)
        except ValueError as bad:
            unknown = str(bad).startswith("Unknown item id")
            raise _Refused(404 if unknown else 422, str(bad)) from bad
        except TypeError as bad:
            raise _Refused(422, str(bad)) from bad

    async def page(self, request):
        from starlette.responses import HTMLResponse

        return HTMLResponse(self.html, headers={"Cache-Control": "no-store"})

    async def no_icon(self, request):
        from starlette.responses import Response

        return Response(status_code=204)

    async def config(self, request):
        classes = await self._call(self.session.classes)
        progress = await self._call(self.session.progress)
        return self._json(
            {
                "classes": classes,
                "keys": shortcut_keys(classes),
                "skip_key": " ",
                "undo_key": "Backspace",
                "batch_size": self.session.batch_size,
                "budget": self.session.budget,
                "n_items": progress["n_items"],
                "kind": self.session.view.kind,
            }
        )

    async def next_items(self, request):
        annotator = _annotator(request.query_params.get("annotator", "default"))
        n = request.query_params.get("n")
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if n is not None and not (n.isascii() and n.isdigit() and 0 < int(n) <= 1000):
            raise _Refused(422, "n must be an integer from 1 to 1000")
        count = None if n is None else int(n)
        items = await self._call(self.session.next_batch, annotator, count)
        return self._json({"items": [str(i) for i in items]})

    async def item(self, request):
        item_id = request.path_params["item_id"]
        return self._json(await self._call(self.session.describe_item, item_id))

    async def media(self, request):
        from starlette.responses import FileResponse

        item_id = request.path_params["item_id"]
        found = await self._call(self.session.item_media, item_id)
        if found is None:
            raise _Refused(404, f"item {item_id!r} has no image file")
        return FileResponse(found[0], media_type=found[1])

    async def submit(self, request):
        payload, annotator = await self._body(request, "item_id", "label")
        item_id, label = payload["item_id"], payload["label"]
        await self._call(self.session.submit, item_id, label, annotator)
        return self._json(
            {"ok": True, "progress": await self._call(self.session.progress)}
        )

    async def skip(self, request):
        payload, annotator = await self._body(request, "item_id")
        await self._call(self.session.skip, payload["item_id"], annotator)
        return self._json({"ok": True})

    async def undo(self, request):
        _, annotator = await self._body(request)
        return self._json({"undone": await self._call(self.session.undo, annotator)})

    async def progress(self, request):
        return self._json(await self._call(self.session.progress))

    async def history(self, request):
        annotator = _annotator(request.query_params.get("annotator", "default"))
        return self._json({"labels": await self._call(self.session.history, annotator)})

    async def curve(self, request):
        return self._json(await self._call(self.session.learning_curve))


def _annotator(name):
    """An annotator's name: a non-empty string of at most 255 characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _Refused(422, "annotator must be a name of 1 to 255 characters")
    return name.strip()


class _Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _host_name(host):
    """The name in a ``Host`` header or an origin's authority, port stripped."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _Guard:
    """ASGI middleware, before any route: the host, the origin, the content type
    of a change, the token and a declared body size."""

    def __init__(self, app, token, max_body, allowed_hosts=None):
        self.app, self.token, self.max_body = app, token, max_body
        self.allowed_hosts = allowed_hosts

    def _refusal(self, request):
        """``(status, message)`` of a request refused before its route, or None."""
        host = request.headers.get("host", "")
        if (
            self.allowed_hosts is not None
            and _host_name(host) not in self.allowed_hosts
        ):
            return 403, f"Host {host!r} is not this server's"
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1].lower() != host.lower():
            return 403, f"requests from {origin!r} are refused (another site)"
        if request.headers.get("sec-fetch-site") == "cross-site":
            return 403, "cross-site requests are refused"
        if request.method == "POST":
            kind = request.headers.get("content-type", "").split(";")[0].strip()
            if kind.lower() != "application/json":
                return 415, "a change must be sent as application/json"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        request = Request(scope)
        refused = self._refusal(request)
        if refused is not None:
            response = JSONResponse({"error": refused[1]}, refused[0])
            return await response(scope, receive, send)
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
        # On loopback, only loopback names: a DNS-rebinding page gets a 403.
        hosts = _LOOPBACK | {"[::1]"} if host in _LOOPBACK else None
        config = uvicorn.Config(
            make_app(session, token=token, allowed_hosts=hosts),
            log_level="warning",
            lifespan="off",
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

    @property
    def running(self):
        """True while the server thread serves."""
        return self._thread.is_alive() and not self._server.should_exit
