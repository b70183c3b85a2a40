"""Common tags, merged into every taggable resource in one place.

Every resource carries ``Project``, ``Environment`` and ``ManagedBy`` so the
bill, the console and the generated docs can group by them. Constructs add
only what is specific (``Name``, ``Tier``, ``Runbook``); this aspect merges
the common set underneath, so a construct cannot forget it and a resource's
own tag wins on a clash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsii
from cdktf import IAspect
from constructs import IConstruct

from infraforge.environments import PROJECT

MANAGED_BY = "cdktf"


def common_tags(environment: str) -> dict[str, str]:
    """The tags every resource of ``environment`` carries."""
    return {"Project": PROJECT, "Environment": environment, "ManagedBy": MANAGED_BY}


@jsii.implements(IAspect)
class CommonTags:
    """Aspect that merges ``tags`` under the own tags of every taggable resource."""

    def __init__(self, tags: Mapping[str, str]) -> None:
        self._tags = dict(tags)

    def visit(self, node: IConstruct) -> None:
        # Taggable provider resources expose both ``tags`` and ``tags_input``;
        # ``tags_all`` alone (computed) does not make a resource taggable.
        if not (hasattr(node, "tags_input") and hasattr(node, "tags")):
            return
        own: Mapping[str, Any] | None = node.tags_input
        node.tags = {**self._tags, **(own or {})}
