"""The CDKTF app: every stack of InfraForge.

``build_app`` is the one place that lists the stacks; ``python -m infraforge``
(which ``cdktf.json`` and ``covaex synth`` both run) synthesizes them. It reads
and checks every input and config first (:func:`read_app_config`, which needs
neither cdktf nor a provider) and imports cdktf and the stack modules only
then: importing the AWS provider takes about 20 s, so a bad input stops the
app before that, in a fraction of a second (``tests/infra/test_inputs.py``
checks that nothing of cdktf was imported on that path).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infraforge.config import ENVIRONMENTS, EnvironmentConfig, environment_config
from infraforge.inputs import DEFAULTS, DOCS_EXAMPLE_DEFAULTS, DeployInputs, cdktf_context, read_inputs
from infraforge.platform.config import PLATFORMS, PlatformConfig, public_access_cidrs

if TYPE_CHECKING:
    from cdktf import App


@dataclass(frozen=True)
class AppConfig:
    """Every input and config the app's stacks are built from, read and checked before any stack is.

    Attributes:
        shared: the inputs of the account-wide stacks (``state``, ``platform-v2-registry``).
        environments: one ``tobe-v1-<env>`` config per profile.
        platforms: one ``platform-v2-<env>`` config per profile, with its environment's inputs.
    """

    shared: DeployInputs
    environments: tuple[EnvironmentConfig, ...]
    platforms: tuple[tuple[PlatformConfig, DeployInputs], ...]


def read_app_config(
    environ: Mapping[str, str],
    context: Callable[[str], Any] | None = None,
    defaults: Mapping[str, str] = DEFAULTS,
) -> AppConfig:
    """Read and check every input (``INFRAFORGE_*``, then the cdktf ``context``) and build every config.

    Raises :class:`~infraforge.inputs.InputError` (or ``ValueError`` from a config) naming what is wrong.
    """
    shared = read_inputs("shared", environ, context, defaults)
    inputs = {env: read_inputs(env, environ, context, defaults) for env in ENVIRONMENTS}
    environments = tuple(environment_config(env, inputs[env]) for env in ENVIRONMENTS)
    platforms = []
    for config in PLATFORMS.values():
        cidrs = public_access_cidrs(config.environment, environ, context)
        platforms.append((config.with_public_access_cidrs(cidrs) if cidrs else config, inputs[config.environment]))
    return AppConfig(shared=shared, environments=environments, platforms=tuple(platforms))


def build_app(outdir: str, *, docs_example: bool = False) -> App:
    """Every stack: ``state``, ``tobe-v1-dev`` / ``tobe-v1-prod`` and the Platform v2 stacks.

    ``docs_example`` fills unset inputs from :data:`~infraforge.inputs.DOCS_EXAMPLE_DEFAULTS`.
    """
    # Every input and config first, with the context cdktf's App would read: a bad one stops the app before
    # cdktf, any stack module or the AWS provider is imported.
    config = read_app_config(os.environ, cdktf_context(os.environ), DOCS_EXAMPLE_DEFAULTS if docs_example else DEFAULTS)
    from cdktf import App

    from infraforge.platform.stacks import add_platform_stacks
    from infraforge.stacks.state import StateStack
    from infraforge.stacks.tobe_v1 import TobeV1Stack

    app = App(outdir=outdir)
    StateStack(app, config.shared)
    for environment in config.environments:
        TobeV1Stack(app, environment)
    add_platform_stacks(app, config.shared, config.platforms)
    return app
