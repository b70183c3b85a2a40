"""What the tests share to run real components: waiting, servers, process trees.

One import style everywhere: ``from tests.support.<module> import ...`` (the
repository root is on pytest's ``pythonpath``). Helpers live in modules, never
in a ``conftest.py`` (a conftest holds fixtures; pytest imports it by itself).

* :mod:`.wait` -- poll a condition until it holds (async and sync), wait for a port;
* :mod:`.procs` -- a process tree's members and memory (psutil, not ``/proc`` parsing);
* :mod:`.servers` -- a ``redis-server`` of the test's own, started and stopped;
* :mod:`.service` -- the whole service in the test's event loop, on a port the OS picked.

Starting ``covaex serve`` as a child (own process group, stopped whole) is
:mod:`covaex.localserve`, which the docs' screenshots and the benchmarks use too.
"""
