"""Static assets served for speed: content-hashed URLs cached forever, gzip made once, the module graph preloaded.

At start every file under ``static/`` is read once: its URL becomes
``/static/<path>?v=<hash of the bytes>``, served ``immutable`` for a year when
the ``v`` matches (any change makes a new URL) and ``no-cache`` otherwise;
text files are gzipped once (level 9) and sent as such to clients that accept
it. ES modules import each other by relative path (no build step), so the
pages carry an import map from each module's plain URL to its hashed one; the
import map is inline, hence its SHA-256 goes into the page's CSP. Each page
also lists its whole module graph as ``modulepreload`` links, so the browser
fetches every module at once instead of one round trip per level of imports.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_COMPRESSIBLE = (".js", ".css", ".svg", ".json")
_IMPORT = re.compile(r"""^\s*import\s[^"']*["'](\./[^"']+)["'];?\s*$""", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str


class Assets:
    """Every static file of the ui, read, hashed and compressed once per process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            body = path.read_bytes()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith(("javascript", "json", "svg+xml")):
                content_type += "; charset=utf-8"
            gzipped = gzip.compress(body, 9, mtime=0) if name.endswith(_COMPRESSIBLE) else None
            if gzipped is not None and len(gzipped) >= len(body):
                gzipped = None
            self.files[name] = Asset(body, gzipped, content_type, hashlib.sha256(body).hexdigest()[:12])
        self.import_map = json.dumps(
            {
                "imports": {
                    STATIC_PREFIX + n: self.url(n) for n in self.files if n.endswith(".js") and n.startswith("js/")
                }
            },
            separators=(",", ":"),
            sort_keys=True,
        )
        digest = base64.b64encode(hashlib.sha256(self.import_map.encode()).digest()).decode()
        self.import_map_csp = f"'sha256-{digest}'"

    def url(self, name: str) -> str:
        """The content-hashed URL of ``static/<name>``."""
        return f"{STATIC_PREFIX}{name}?v={self.files[name].version}"

    def module_graph(self, entry: str) -> list[str]:
        """``entry`` (``js/main.js``) and every module it imports, directly or not, in a stable order."""
        seen: list[str] = []
        pending = [entry]
        while pending:
            name = pending.pop(0)
            if name in seen or name not in self.files:
                continue
            seen.append(name)
            folder = name.rsplit("/", 1)[0]
            for relative in _IMPORT.findall(self.files[name].body.decode("utf-8")):
                pending.append(f"{folder}/{relative[2:]}")
        return seen
