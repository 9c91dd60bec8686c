"""ASGI guards in front of the routes: bounded work before any route runs.

- :class:`BodyLimit` counts a request body's bytes as they arrive and stops
  reading at the limit (413), with or without ``Content-Length``: a
  300 MB upload costs no more memory than the limit.
- :class:`Admission` bounds the asks in flight (running plus a short
  queue); past it a request gets ``503`` with ``Retry-After`` at once
  instead of waiting behind the whole burst.
- :class:`BearerAuth` checks the API key before the body is read or
  validated; a 401 carries ``WWW-Authenticate: Bearer``.
- :class:`SecurityHeaders` adds ``nosniff`` everywhere, and on the page a
  CSP allowing only its own origin, no framing, no referrer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("reportqa.api")
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


OPENAI_PREFIX = "/v1/"  # the OpenAI-compatible routes answer errors in the OpenAI shape
OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                413: "invalid_request_error", 422: "invalid_request_error", 503: "server_error"}


def error_body(path: str, status: int, message: str) -> dict[str, Any]:
    """An error as this API writes it, ``{"detail": …}``, or on the OpenAI-compatible
    routes as OpenAI does, ``{"error": {"message", "type", "code"}}``."""
    if path.startswith(OPENAI_PREFIX):
        return {"error": {"message": message, "type": OPENAI_TYPES.get(status, "api_error"), "param": None,
                          "code": None}}
    return {"detail": message}


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a whole JSON response."""
    data = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n >= 2**20 else f"{n // 1024} KB"


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (413) while they stream in.

    Args:
        app: the wrapped ASGI app.
        max_bytes: the largest body accepted.
        limits: other limits for some paths (report uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        limit = self.limits.get(scope.get("path", ""), self.max_bytes)
        detail = f"request body over {_size(limit)}"
        if length is not None:
            if not length.isdigit():
                await send_json(send, 400, error_body(scope.get("path", ""), 400, "invalid Content-Length"))
                return
            if int(length) > limit:
                log.warning("rejected %s %s: %s", scope.get("method"), scope.get("path"), detail)
                await send_json(send, 413, error_body(scope.get("path", ""), 413, detail))
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # read the body here, never more than the limit, and hand the route the bytes read
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                log.warning("rejected %s %s: %s (streamed)", scope.get("method"), scope.get("path"), detail)
                await send_json(send, 413, error_body(scope.get("path", ""), 413, detail), [(b"connection", b"close")])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class Admission:
    """At most ``running + queued`` requests to ``paths`` at once; the rest get 503.

    Args:
        app: the wrapped ASGI app.
        paths: the paths that cost a model forward (``/ask``, ``/search``).
        running: requests allowed to run at once.
        queued: requests allowed to wait for a running slot.
        retry_after: seconds sent in ``Retry-After``.
    """

    def __init__(self, app: ASGIApp, paths: frozenset[str], running: int, queued: int,
                 retry_after: int = 1) -> None:
        self.app = app
        self.paths = paths
        self.running = running
        self.capacity = running + queued
        self.retry_after = retry_after
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inside = 0
        self.rejected = 0

    def _semaphore(self) -> asyncio.Semaphore:
        """The running slots, made in the loop that serves (a test client may start another)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.running), loop
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        if self._inside >= self.capacity:
            self.rejected += 1
            if self.rejected == 1 or self.rejected % 100 == 0:
                log.warning("overloaded: %d requests in flight; %d turned away so far", self._inside, self.rejected)
            await send_json(send, 503, error_body(scope.get("path", ""), 503, "the service is busy: retry shortly"),
                            [(b"retry-after", str(self.retry_after).encode())])
            return
        self._inside += 1
        try:
            async with self._semaphore():
                await self.app(scope, receive, send)
        finally:
            self._inside -= 1


class BearerAuth:
    """Require ``Authorization: Bearer <key>`` on every path but the open ones.

    Args:
        app: the wrapped ASGI app.
        key: the API key; ``None`` leaves everything open.
        open_paths: exact paths that stay open (the page, ``/health``).
        open_prefixes: path prefixes that stay open (static files, API docs).
    """

    def __init__(self, app: ASGIApp, key: str | None, open_paths: frozenset[str],
                 open_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.key = key
        self.open_paths = open_paths
        self.open_prefixes = open_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or not self.key or path in self.open_paths
                or path.startswith(self.open_prefixes) or scope.get("method") == "OPTIONS"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), self.key):
            log.warning("rejected %s %s: missing or wrong API key", scope.get("method"), path)
            await send_json(send, 401, error_body(path, 401, "missing or wrong API key: send Authorization: Bearer <key>"),
                            [(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every response; on HTML pages
    under ``page_paths`` also a CSP allowing only this origin, no framing
    and no referrer.

    Args:
        app: the wrapped ASGI app.
        page_paths: the paths of our own pages (the API docs page keeps its inline script).
    """

    def __init__(self, app: ASGIApp, page_paths: frozenset[str]) -> None:
        self.app = app
        self.page_paths = page_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope.get("path") in self.page_paths

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if page:
                    headers += [(b"content-security-policy", PAGE_CSP.encode()), (b"x-frame-options", b"DENY"),
                                (b"referrer-policy", b"no-referrer")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
