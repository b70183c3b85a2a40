"""The database connection budget: every process that may hold a pool, against the DB class's max_connections.

Each worker of ``covaex serve`` holds its own asyncpg pool of up to
``POOL_MAX_SIZE`` connections (``covaex_service.accounts.storage.postgres``).
An environment's database serves two fleets at their largest:

* To-Be v1: the Auto Scaling group's ``max_size`` instances x the workers of
  each (``--workers`` in the launch template's user data);
* Platform v2: the HorizontalPodAutoscaler's ``maxReplicas`` pods plus the
  rollout's ``maxSurge`` (old and new pods overlap) x the workers of a pod.

RDS for PostgreSQL sets ``max_connections`` to
``LEAST(DBInstanceClassMemory/9531392, 5000)`` unless the parameter group sets
it; the class's memory comes from the EC2 table of the same size (``db.t4g.small``
is a ``t4g.small``, 2 GiB, in moto's instance-type table, as in
``covaex.targets``). ``DBInstanceClassMemory`` is the class's memory less what
RDS keeps for itself, so the formula on the nominal memory is an upper bound,
and an operator's ``psql``, migrations and the reserved superuser slots need
room too: the fleets may take at most ``USABLE_SHARE`` of it.
:func:`connection_budget` raises `FactError` (the docs build fails in one
line) when they would take more.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from covaex.analysis.errors import FactError
from covaex.topology.tfjson import Resource, TerraformDoc, as_int, blocks

RDS_MEMORY_DIVISOR = 9531392
RDS_MAX_CONNECTIONS_CAP = 5000
USABLE_SHARE = 0.8
"""What the app fleets may use of max_connections; the rest is headroom (see the module docstring)."""

_WORKERS = re.compile(r"--workers (\d+)")


@dataclass(frozen=True)
class Fleet:
    """Processes that each hold one pool: ``members`` (instances or pods) x ``workers`` x ``pool``."""

    name: str
    source: str
    """Where ``members`` comes from (a resource address or a manifest)."""
    members: int
    workers: int
    pool: int

    @property
    def connections(self) -> int:
        return self.members * self.workers * self.pool


@dataclass(frozen=True)
class Budget:
    environment: str
    db_address: str
    db_class: str
    memory_mib: int
    max_connections: int
    max_connections_source: str
    fleets: tuple[Fleet, ...]

    @property
    def limit(self) -> int:
        return math.floor(self.max_connections * USABLE_SHARE)

    @property
    def total(self) -> int:
        return sum(fleet.connections for fleet in self.fleets)

    @property
    def share(self) -> float:
        return self.total / self.max_connections


def class_memory_mib(db_class: str) -> int:
    """Memory of an RDS class from the EC2 type of the same size; FactError naming it when there is none."""
    from covaex.targets import instance_type_info

    entry = instance_type_info(db_class.removeprefix("db."))
    memory = (entry or {}).get("MemoryInfo", {}).get("SizeInMiB")
    if not db_class.startswith("db.") or not memory:
        raise FactError(f"cannot size the database class {db_class!r}: no EC2 instance type of its size is known")
    return int(memory)


def rds_max_connections(memory_mib: int) -> int:
    """RDS for PostgreSQL's default: LEAST(DBInstanceClassMemory/9531392, 5000), on the class's memory in bytes."""
    return min(memory_mib * 1024 * 1024 // RDS_MEMORY_DIVISOR, RDS_MAX_CONNECTIONS_CAP)


def v1_fleet(doc: TerraformDoc, pool: int) -> Fleet:
    """The v1 app instances at the group's ``max_size``, with the workers their user data starts."""
    from covaex.targets import user_data_text

    groups = doc.resources("aws_autoscaling_group")
    if len(groups) != 1:
        raise FactError(f"{doc.stack}: expected one Auto Scaling group, found {len(groups)}")
    group = groups[0]
    members = as_int(group.get("max_size"))
    lt = next((doc.by_address(a) for a in doc.refs(group.get("launch_template")) if a.startswith("aws_launch_")), None)
    found = _WORKERS.findall(user_data_text(lt.get("user_data")) if lt is not None else "")
    if members is None or len(found) != 1:
        raise FactError(
            f"{doc.stack}: {group.address}: cannot read max_size and one --workers from its launch template"
        )
    return Fleet("To-Be v1 instances", group.address, members, int(found[0]), pool)


def _parameter_max_connections(doc: TerraformDoc, db: Resource) -> int | None:
    for address in doc.refs(db.get("parameter_group_name")):
        group = doc.by_address(address)
        for parameter in blocks(group.get("parameter") if group is not None else None):
            if parameter.get("name") == "max_connections":
                return as_int(parameter.get("value"))
    return None


def connection_budget(environment: str, doc: TerraformDoc, fleets: tuple[Fleet, ...]) -> Budget:
    """The budget of the database of ``doc`` for ``fleets``; FactError in one line when it is exceeded."""
    dbs = doc.resources("aws_db_instance")
    if len(dbs) != 1:
        raise FactError(f"{doc.stack}: expected one aws_db_instance, found {len(dbs)}")
    db = dbs[0]
    db_class = str(db.get("instance_class"))
    memory = class_memory_mib(db_class)
    explicit = _parameter_max_connections(doc, db)
    budget = Budget(
        environment=environment,
        db_address=db.address,
        db_class=db_class,
        memory_mib=memory,
        max_connections=explicit if explicit is not None else rds_max_connections(memory),
        max_connections_source="parameter group" if explicit is not None else "RDS default formula",
        fleets=fleets,
    )
    if budget.total > budget.limit:
        parts = " + ".join(f"{f.members} x {f.workers} x {f.pool} ({f.name})" for f in fleets)
        raise FactError(
            f"{environment}: database connection budget exceeded: {parts} = {budget.total} connections, more than "
            f"{budget.limit} ({USABLE_SHARE:.0%} of max_connections {budget.max_connections} of {db_class}); "
            "lower the pool, the workers or the fleets' maximum, or take a larger class"
        )
    return budget
