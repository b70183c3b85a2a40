"""Run the service: the body of ``covaex serve``.

Before any worker starts, the main process opens the database once and applies
its migrations: a wrong ``COVAEX_DATABASE_URL`` or an unreachable server is
then one clear line and a non-zero exit, instead of a worker traceback.

Supervision: Sanic's main process does not replace a worker that dies, and
when every worker is gone it keeps the port and answers nothing. Here the
main process watches its workers; when one ends without a shutdown having
been asked for (a crash, an OOM kill, a ``SIGKILL``, or a worker that stopped
itself because PostgreSQL rejected its password), the whole service stops
and ``serve`` exits non-zero, so the supervisor (systemd ``Restart=always``
on the instances, the kubelet on EKS) starts it afresh, with freshly read
secrets.

Stopping: SIGTERM to the main process; Sanic's manager sends each worker
SIGINT. A worker closes its WebSocket clients with 1001 (going away) first
(``market/area.py``), then its stop listeners close the cache, the database
and its metrics files; that is all a worker has to release, so the last of
them ends the process at once (:func:`exit_now`). Left to Sanic, the worker
would then close its event loop, and uvloop's ``close`` runs the loop until
every pending libuv request is done, a DNS lookup of the market feed's
reconnect included, which cannot be cancelled: with a resolver that does not
answer (the boot drill's container; an instance whose DNS is down) the stop
waited up to glibc's 10 s (two 5 s tries) for a lookup nobody would read. The
interpreter's teardown after it (a full garbage collection of the app's
heap, with nothing left to release) is skipped too; ``covaex serve``'s main
process ends the same way once Sanic has joined its workers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn

from sanic import Sanic
from sanic.log import server_logger
from sanic.worker.loader import AppLoader

from covaex_service.app import create_app
from covaex_service.errors import CovaexError
from covaex_service.market.gateway.guard import GuardedWebSocketProtocol
from covaex_service.market.metrics import MULTIPROCESS_DIR_ENV
from covaex_service.sanic_types import ServiceApp
from covaex_service.settings import Settings, load_settings

log = logging.getLogger("covaex")
# How often the main process looks at its workers.
WATCH_INTERVAL_SECONDS = 0.5
# How long the main process may take to exit once its workers have ended, before it exits hard.
STOP_GRACE_SECONDS = 3.0
# How long workers may take to stop (Sanic's graceful shutdown of open connections is 15 s).
WORKERS_STOP_SECONDS = 20.0
WORKER_EXIT_PRIORITY = 1_000_000
"""Of the worker's ``after_server_stop`` listeners, the one that ends the process runs last: Sanic runs
stop listeners in the reverse of start order, lowest priority first (the start's highest runs first)."""


class WorkerDied(CovaexError):
    """A worker ended on its own: the service stopped so that its supervisor starts it again."""


@asynccontextmanager
async def serving_in_loop(app: ServiceApp, host: str, port: int, *, touchup: bool = False) -> AsyncIterator[int]:
    """``app`` served inside the running event loop, with its listeners, as ``serve`` would; stopped after.

    Yields the port it listens on: with ``port=0`` the OS picks a free one, so
    no other process can take it between choosing and binding.

    For tests and benchmarks that talk to the real service from the same
    process. Sanic's touch-up (which drops the dispatch of signals nobody
    listens to, half the cost of a small request) rewrites Sanic's own class
    methods at the first start, and a second app in one process breaks on it:
    tests, which start many apps, leave it off; a benchmark, one app as
    ``covaex serve`` runs it, turns it on.
    """
    app.config.TOUCHUP = touchup
    sock = None
    if port == 0:
        # Sanic reads port 0 as "its default, 8000": bind the socket here and hand it over.
        sock = socket.create_server((host, 0))
    # Any: sanic leaves AsyncioServer's lifecycle methods unannotated.
    server: Any = await app.create_server(
        host=host,
        port=port,
        sock=sock,
        return_asyncio_server=True,
        access_log=False,
        protocol=GuardedWebSocketProtocol,
    )
    assert server is not None
    try:
        await server.startup()
        await server.before_start()
        await server.after_start()
        yield int(server.server.sockets[0].getsockname()[1])
    finally:
        await server.before_stop()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()


def _factory() -> ServiceApp:
    # Worker processes rebuild the app from the environment the parent prepared.
    from covaex_service.accounts.storage import postgres

    # In a worker, rejected database credentials end the worker (and so the service): see module doc.
    postgres.stop_worker_on_rejected_credentials()
    app = create_app(load_settings())
    app.register_listener(_worker_stopped, "after_server_stop", priority=WORKER_EXIT_PRIORITY)
    return app


def _worker_stopped(app: ServiceApp) -> NoReturn:
    # The last stop listener of a worker (see the module doc): every client, the cache, the database
    # and the metrics files are closed; what Sanic would do next is close the loop (and wait there).
    server_logger.info("Worker complete [%s]; exiting now", os.getpid())
    exit_now(0)


def exit_now(code: int) -> NoReturn:
    """End this process with ``code`` now: logs and output flushed, without the interpreter's teardown.

    For a process whose orderly stop is complete (see the module doc): what is
    left after it is waiting (a worker's event loop on a DNS lookup nobody will
    read) and a garbage collection of everything, which releases nothing the
    kernel does not release with the process. ``os._exit`` is how
    multiprocessing ends a forked child once its target returned; Sanic's
    workers are spawned, and a spawned child would otherwise run the full
    interpreter teardown.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can be written anyway
            stream.flush()
    os._exit(code)


class _WorkerWatch:
    """Main-process thread: stops the service when a worker dies, and makes sure a stop ends the process.

    Sanic's main process hangs on a stop that comes while it waits for every
    worker's startup ack (``WorkerManager.wait_for_ack``): it puts the stop
    message back in its queue and polls it again, in a busy loop, until every
    worker has acked, which a worker that ended before acking (killed, or
    stopped by the same SIGTERM while starting) never does. :func:`_stop_waiting_on_stop`
    ends that wait once the stop is under way, so the stop goes on in order.
    Should the orderly exit hang anyway, once a stop is under way and every
    worker has ended it gets ``STOP_GRACE_SECONDS``; then the remaining
    children (Sanic's state-sharing manager) are killed and the process exits.
    """

    def __init__(self) -> None:
        self.died: str | None = None

    def start(self, app: Any) -> None:
        manager = app.manager
        _stop_waiting_on_stop(manager)
        threading.Thread(target=self._watch, args=(manager,), name="covaex-worker-watch", daemon=True).start()

    def _watch(self, manager: Any) -> None:
        while not _stopping(manager) and self.died is None:
            for process in list(manager.processes):
                # exitcode is None until a started process has ended (and before it starts).
                if process.exitcode is not None and not _stopping(manager):
                    self.died = f"{process.name} (pid {process.pid}) ended with exit code {process.exitcode}"
                    log.error("worker %s; stopping the service so its supervisor starts it again", self.died)
                    # The manager's own SIGTERM handling stops the other workers in order.
                    os.kill(os.getpid(), signal.SIGTERM)
                    break
            _pause(WATCH_INTERVAL_SECONDS)
        deadline = time.monotonic() + WORKERS_STOP_SECONDS
        while any(process.exitcode is None for process in manager.processes) and time.monotonic() < deadline:
            _pause(WATCH_INTERVAL_SECONDS)
        _pause(STOP_GRACE_SECONDS)
        # Still here: the main process is stuck (see the class doc).
        log.error("the service did not stop within %.0f s of its workers; exiting", STOP_GRACE_SECONDS)
        for child in multiprocessing.active_children():
            child.kill()
        os._exit(1 if self.died is not None else 0)


def _stopping(manager: Any) -> bool:
    return bool(getattr(manager, "_shutting_down", False))


def _stop_waiting_on_stop(manager: Any) -> None:
    """Sanic's wait for the workers' acks (sanic 25.12 ``WorkerManager.wait_for_ack``) ends once a stop is asked for.

    The wait loops while ``_all_workers_ack()`` is false, re-queueing every
    message it reads, the stop included; with this it ends as soon as the
    manager is stopping, and ``monitor`` then reads the stop message and stops
    the workers in order. Upstream, ``wait_for_ack`` would test
    ``self._shutting_down`` itself. ``main_process_ready``, where this runs, comes
    before ``manager.run()``.
    """
    all_acked = manager._all_workers_ack  # the one seam of the wait (see above)

    def acked_or_stopping() -> bool:
        return _stopping(manager) or bool(all_acked())

    manager._all_workers_ack = acked_or_stopping


def _pause(seconds: float) -> None:
    threading.Event().wait(seconds)


async def _preflight(settings: Settings) -> None:
    from covaex_service.accounts.storage import open_store

    try:
        store = await open_store(settings.database_url)
    except OSError as exc:  # e.g. the SQLite file's folder cannot be created
        raise CovaexError(f"cannot open the database {settings.database_url}: {exc.strerror or exc}") from None
    await store.db.close()


def raise_open_files_limit() -> tuple[int, int]:
    """The soft limit on open files up to the hard one; returns (before, after).

    Every WebSocket client is a file descriptor of the worker that holds it:
    10,000 clients need about 10,000 (``benchmarks/ws_chain.py`` prints what a
    run needed), and the usual soft limit is 1,024 (systemd's default, and
    containerd's since 2.0), past which ``accept`` fails. The hard limit is the
    ceiling the service manager granted (``LimitNOFILE`` in the systemd unit);
    a process may raise its soft limit to it, as nginx and Go programs do.
    Children (the workers) inherit it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft >= hard:
        return soft, soft
    target = hard if hard != resource.RLIM_INFINITY else max(soft, OPEN_FILES_WANTED)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, target


OPEN_FILES_WANTED = 65536
"""The soft limit taken when the hard one is unlimited; also the unit's ``LimitNOFILE``."""


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As Sanic's own listening socket does: connections of the previous run still in TIME_WAIT
        # (a restart with WebSocket clients) must not make a free port look taken for a minute.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CovaexError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(settings: Settings) -> None:
    """Serve until interrupted; ``settings`` are already validated."""
    _check_port_free(settings.host, settings.port)
    asyncio.run(_preflight(settings))
    # Only once the service will serve: a refused start stays one line.
    before, after = raise_open_files_limit()
    if after < OPEN_FILES_WANTED:
        log.warning("open files limited to %d (hard limit): at most about that many WebSocket clients", after)
    elif after != before:
        log.info("open files limit raised from %d to %d", before, after)
    # Workers are separate processes: hand them the CLI overrides via the env.
    os.environ.update(
        {
            "COVAEX_HOST": settings.host,
            "COVAEX_PORT": str(settings.port),
            "COVAEX_FEED": settings.feed,
            "COVAEX_SYMBOLS": ",".join(settings.symbols),
        }
    )
    if settings.secret_generated:
        # One generated key for every worker, so a session works on all of them.
        os.environ["COVAEX_SECRET_KEY"] = settings.secret_key
    # One scrape of /metrics answers for every worker (prometheus_client multiprocess mode):
    # a fresh folder per run, since its files must not outlive the workers that wrote them.
    metrics_dir = tempfile.mkdtemp(prefix="covaex-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
    loader = AppLoader(factory=_factory)
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        protocol=GuardedWebSocketProtocol,  # bounds control-frame floods (market/gateway/guard.py)
    )
    watch = _WorkerWatch()
    app.register_listener(watch.start, "main_process_ready")
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        # Sanic gives up on a worker still running 10 s into the stop ("Worker shutdown timed out"); the
        # interpreter's exit would end it (daemonic children), and exit_now skips that exit: end it here.
        for child in multiprocessing.active_children():
            child.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    if watch.died is not None:
        raise WorkerDied(f"worker {watch.died}; the service stopped so that its supervisor starts it again")
