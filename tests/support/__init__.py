"""What the tests share to run real components: waiting, servers, the service, the browser, the docs.

One import style everywhere: ``from tests.support.<module> import ...`` (the
repository root is on pytest's ``pythonpath``). Helpers live in modules, never
in a ``conftest.py`` (a conftest holds fixtures; pytest imports it by itself).

* :mod:`.wait` -- poll a condition until it holds (async and sync), wait for a port;
* :mod:`.procs` -- a process tree's members and memory (psutil);
* :mod:`.servers` -- a ``redis-server`` of the test's own, started and stopped;
* :mod:`.service` -- the whole service in the test's event loop, on a port the OS picked;
* :mod:`.accounts` -- the same for the accounts and OpenAPI tests, with sign-up helpers;
* :mod:`.ui` -- ``covaex serve`` as a user runs it, the browser's console watch, logging in;
* :mod:`.local_market` -- a market the UI tests control (the local Binance-protocol server in a thread);
* :mod:`.docs` -- ``mkdocs build --strict`` of a rendered tree.

The mechanics under them (polling, stopping a process group, process trees
through psutil) are :mod:`covaex.processes`, and a port for a server is
:func:`covaex.localserve.free_port`; the
resilience drill, ``covaex serve``'s runner and ``benchmarks/`` import too, so
the benchmarks never depend on the tests.
"""
