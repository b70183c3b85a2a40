"""The one concrete Sanic type of this service, for annotations."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TypeAlias

from sanic import Sanic
from sanic.config import Config

ServiceApp: TypeAlias = Sanic[Config, SimpleNamespace]
