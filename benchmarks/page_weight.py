"""Page weight and DOMContentLoaded of the main page on a slow-3G profile: this tree against a baseline commit.

Not a test: it prints figures. The baseline is the given git commit's
``service/`` and ``covaex/`` (``git archive`` into a temporary folder, run with
the same virtualenv), so "before" and "after" load in the same run on the same
machine. Each server is ``covaex serve --feed simulator`` on a free loopback
port; Debian's Chromium loads ``/`` with an empty cache under Chrome DevTools'
"Slow 3G" conditions (2,000 ms latency, 500 kbit/s each way) and reports:

* requests and bytes transferred (encoded, as on the wire) until ``load``;
* DOMContentLoaded and load, in ms from navigation start.

Run: ``.venv/bin/python benchmarks/page_weight.py [--base 6324b02] [--runs 2]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

import harness
from playwright.sync_api import sync_playwright

from covaex.localserve import start_service, stop_service

SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8, "uploadThroughput": 500 * 1000 / 8}


def start(pythonpath: str | None, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = harness.free_port()
    env = {**os.environ, "COVAEX_DATABASE_URL": f"sqlite:///{workdir / 'b.db'}", "COVAEX_ENV": "dev"}
    env.pop("COVAEX_REDIS_URL", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    args = ["--feed", "simulator", "--port", str(port)]
    process = start_service(args, env=env, log_path=workdir / f"serve-{port}.log", cwd=workdir)
    try:
        harness.wait_prices(port, timeout=60)
    except SystemExit:
        stop_service(process)
        raise
    return process, f"http://127.0.0.1:{port}"


def measure(browser: object, url: str) -> dict[str, float]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url + "/", wait_until="load", timeout=300_000)
    timing = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"
    )
    context.close()
    return {"requests": len(sizes), "kb": sum(sizes.values()) / 1024, "dcl": timing["dcl"], "load": timing["load"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="6324b02", help="git commit of the baseline")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="covaex-weight-") as tmp:
        pythonpath = harness.tree_at(args.base, Path(tmp) / "base")
        servers = {
            f"before ({args.base})": start(pythonpath, Path(tmp)),
            "after (this tree)": start(None, Path(tmp)),
        }
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                print(f"load average: {os.getloadavg()[0]:.2f}  profile: Slow 3G (2000 ms RTT, 500 kbit/s)")
                print(f"{'page /':<24}{'requests':>9}{'KB on wire':>12}{'DOMContentLoaded':>18}{'load':>10}")
                for name, (_, url) in servers.items():
                    runs = [measure(browser, url) for _ in range(args.runs)]
                    best = min(runs, key=lambda r: r["dcl"])
                    print(
                        f"{name:<24}{best['requests']:>9.0f}{best['kb']:>12.1f}"
                        f"{best['dcl']:>16.0f} ms{best['load']:>8.0f} ms"
                    )
                browser.close()
        finally:
            for process, _ in servers.values():
                stop_service(process)


if __name__ == "__main__":
    main()
