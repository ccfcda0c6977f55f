"""The deployment: the provinces SIGAP serves and the zone people there read times in.

Built once from the configuration when the app is created. Jobs, views and commands take
it from the app (`current`, `of`) and pass it, or its zone, to services, which never read
the configuration themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

DEFAULT_ZONE = "Asia/Makassar"
_EXTENSION = "sigap.deployment"


@dataclass(frozen=True)
class Deployment:
    """What services need to know of the deployment, passed in rather than read from Flask."""

    #: Where a case with no known place goes: the deployment's first province.
    fallback_region: str = "72"
    #: The zone people see times in (SIGAP_TIMEZONE).
    zone: str = DEFAULT_ZONE
    #: The provinces served, Kemendagri codes (SIGAP_PROVINCES).
    provinces: tuple[str, ...] = ("72",)

    @property
    def tz(self) -> ZoneInfo:
        """The zone, ready for datetime arithmetic."""
        return ZoneInfo(self.zone)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Deployment:
        """Build from the app's configuration (PROVINCES, SIGAP_TIMEZONE)."""
        provinces = tuple(config["PROVINCES"])
        return cls(provinces[0], config.get("SIGAP_TIMEZONE") or DEFAULT_ZONE, provinces)


def init_app(app: Flask) -> None:
    """Build the app's deployment once, from its configuration."""
    app.extensions[_EXTENSION] = Deployment.from_config(app.config)


def of(app: Flask) -> Deployment:
    """The deployment of an app (for code that registers with it)."""
    deployment: Deployment = app.extensions[_EXTENSION]
    return deployment


def current() -> Deployment:
    """The deployment of the app in context (for jobs, views and commands)."""
    return of(current_app)
