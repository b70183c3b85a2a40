"""The CDKTF app: every stack of InfraForge.

``build_app`` is the one place that lists the stacks; ``python -m infraforge``
(which ``cdktf.json`` and ``covaex synth`` both run) synthesizes them.
"""

from __future__ import annotations

import os

from cdktf import App

from infraforge.config import ENVIRONMENTS, environment_config
from infraforge.inputs import DEFAULTS, DOCS_EXAMPLE_DEFAULTS, read_inputs
from infraforge.platform import add_platform_stacks
from infraforge.stacks.state import StateStack
from infraforge.stacks.tobe_v1 import TobeV1Stack


def build_app(outdir: str, *, docs_example: bool = False) -> App:
    """Every stack: ``state``, ``tobe-v1-dev`` / ``tobe-v1-prod`` and the Platform v2 stacks.

    ``docs_example`` fills unset inputs from :data:`~infraforge.inputs.DOCS_EXAMPLE_DEFAULTS`.
    """
    app = App(outdir=outdir)
    defaults = DOCS_EXAMPLE_DEFAULTS if docs_example else DEFAULTS
    context = app.node.try_get_context
    # Every input and config first: a bad one stops the app before any stack is built.
    shared = read_inputs("shared", os.environ, context, defaults)
    configs = [environment_config(env, read_inputs(env, os.environ, context, defaults)) for env in ENVIRONMENTS]
    StateStack(app, shared)
    for config in configs:
        TobeV1Stack(app, config)
    add_platform_stacks(app, defaults)
    return app
