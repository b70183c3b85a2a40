"""The CDKTF app: every stack of InfraForge.

``build_app`` is the one place that lists the stacks; ``python -m infraforge``
(which ``cdktf.json`` and ``covaex synth`` both run) synthesizes them.
"""

from __future__ import annotations

import os

from cdktf import App

from infraforge.config import ENVIRONMENTS, environment_config
from infraforge.inputs import read_inputs
from infraforge.platform import add_platform_stacks
from infraforge.stacks.state import StateStack
from infraforge.stacks.tobe_v1 import TobeV1Stack


def build_app(outdir: str) -> App:
    """An app holding the ``state`` bootstrap stack and ``tobe-v1-dev`` / ``tobe-v1-prod``."""
    app = App(outdir=outdir)
    StateStack(app, read_inputs("shared", os.environ, app.node.try_get_context))
    for environment in ENVIRONMENTS:
        inputs = read_inputs(environment, os.environ, app.node.try_get_context)
        TobeV1Stack(app, environment_config(environment, inputs))
    add_platform_stacks(app)
    return app
