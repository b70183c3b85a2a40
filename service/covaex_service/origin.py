"""Same-site check on the ``Origin`` header, shared by the login endpoints and the WebSocket."""

from __future__ import annotations

from urllib.parse import urlsplit

from sanic import Request


def is_foreign_origin(request: Request) -> bool:
    """True when the browser says the request comes from a page of another site.

    No ``Origin`` (curl, a server-side client) is not a browser attack; ``null``
    (a sandboxed or file page) and any host other than the one requested are.
    The ALB keeps the ``Host`` the browser sent, so the comparison holds behind it.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host: str = request.host
    netloc: str = urlsplit(origin).netloc
    return netloc.lower() != host.lower()
