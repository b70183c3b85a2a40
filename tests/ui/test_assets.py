"""Static files for slow networks: content-hashed URLs cached for a year, gzip, the module graph preloaded."""

from __future__ import annotations

import gzip
import re
from typing import TYPE_CHECKING

import httpx
import pytest
from covaex_service.ui.assets import Assets
from covaex_service.ui.views import STATIC_DIR

if TYPE_CHECKING:
    from tests.support.ui import Service


@pytest.mark.parametrize(("path", "entry"), [("/", "main.js"), ("/coins/BTCUSDT", "coin-page.js")])
def test_pages_link_hashed_assets_and_preload_the_whole_module_graph(service: Service, path: str, entry: str) -> None:
    html = httpx.get(service.base_url + path, timeout=10).text
    assets = Assets(STATIC_DIR)
    graph = assets.module_graph(f"js/{entry}")
    assert len(graph) > 5  # the entry and what it imports, directly or not
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
    assert preloaded == [assets.url(name) for name in graph[1:]]
    assert f'<script type="module" src="{assets.url(graph[0])}"></script>' in html
    assert f'href="{assets.url("app.css")}"' in html
    # The inline import map is the one inline script, allowed by its hash.
    csp = httpx.get(service.base_url + path, timeout=10).headers["content-security-policy"]
    assert assets.import_map_csp in csp and "'unsafe-inline'" not in csp


def test_a_hashed_url_is_immutable_and_gzipped_a_plain_one_revalidates(service: Service) -> None:
    assets = Assets(STATIC_DIR)
    hashed = httpx.get(service.base_url + assets.url("js/main.js"), headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert hashed.status_code == 200
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["content-encoding"] == "gzip"
    assert "javascript" in hashed.headers["content-type"]
    raw_size = len((STATIC_DIR / "js" / "main.js").read_bytes())
    assert int(hashed.headers["content-length"]) < raw_size / 2
    assert hashed.content == (STATIC_DIR / "js" / "main.js").read_bytes()  # httpx decoded it
    assert gzip.decompress(assets.files["js/main.js"].gzipped or b"") == (STATIC_DIR / "js" / "main.js").read_bytes()

    plain = httpx.get(service.base_url + "/static/js/main.js", headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.headers["cache-control"] == "no-cache" and "content-encoding" not in plain.headers
    again = httpx.get(
        service.base_url + "/static/js/main.js", headers={"If-None-Match": plain.headers["etag"]}, timeout=10
    )
    assert again.status_code == 304
    missing = httpx.get(service.base_url + "/static/js/nope.js", timeout=10)
    assert missing.status_code == 404
