"""The ``triage TEXT`` command: print what triage makes of a message, as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from intake.places import Gazetteer
from intake.triage import triage


def make_triage_command(get_gazetteer: Callable[[], Gazetteer | None]) -> click.Command:
    """Return the ``triage`` command, resolving places with the gazetteer it is given."""

    @click.command("triage")
    @click.argument("text", nargs=-1, required=True)
    def triage_command(text: tuple[str, ...]) -> None:
        """Print the triage of TEXT as one JSON object."""
        result = triage(" ".join(text), get_gazetteer())
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))

    return triage_command
