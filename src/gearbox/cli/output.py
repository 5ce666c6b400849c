"""The one place the command line prints: plain lines to stdout, errors as one red line."""

from __future__ import annotations

import click


class Output:
    def info(self, message: str) -> None:
        click.echo(message)

    def error(self, message: str) -> None:
        click.secho(f"error: {message}", fg="red", err=True)
