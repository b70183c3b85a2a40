"""Table row 2: ``GET /api/v1/markets`` (the REST snapshot) against Sanic hello-world returning as many bytes.

Both servers pinned to one core, ``ab -k`` on the other; prints requests/s and
p99 of each and the ratio (goal: keep at least 0.8x the hello-world).

Run: ``.venv/bin/python benchmarks/http_markets.py [--clients 10 20 50] [--seconds 8]`` (about a minute)
"""

from harness import compare_http

if __name__ == "__main__":
    compare_http("http_markets", "/api/v1/markets", "REST GET /api/v1/markets", goal=0.8)
