"""Table row 1: ``GET /`` (the 45 KB server-rendered main page) against Sanic hello-world returning as many bytes.

Both servers pinned to one core, ``ab -k`` on the other; prints requests/s and
p99 of each and the ratio (goal: at least 0.6x the hello-world). The page is
rendered once per snapshot change (the simulator feed changes it up to ten
times a second during the run) and served as shared bytes in between.

Run: ``.venv/bin/python benchmarks/http_ssr.py [--clients 10 20 50] [--seconds 8]`` (about a minute)
"""

from harness import compare_http

if __name__ == "__main__":
    compare_http("http_ssr", "/", "SSR GET /", goal=0.6)
