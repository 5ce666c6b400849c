"""``gearbox``: each command parses its options, asks for the objects it needs, calls one
method and prints through ``Output``. A ``GearboxError`` becomes one red line and exit code 2.
Heavy imports (moto, uvicorn) happen inside the commands, so ``gearbox --help`` is quick.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gearbox.cli.output import Output
from gearbox.errors import GearboxError

EXIT_USER_ERROR = 2


@click.group()
@click.version_option(package_name="gearbox-serverless", prog_name="gearbox")
def cli() -> None:
    """Gearbox: event-driven serverless microservices on AWS, run locally first."""


@cli.command()
@click.option("--port", type=int, default=None, help="Port to listen on [default: 4566].")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where queues and other state are kept [default: .gearbox].",
)
@click.option(
    "--iam-mode",
    type=click.Choice(["enforce", "warn", "off"]),
    default=None,
    help="What a function's call its role does not allow gets: AccessDenied (enforce), "
    "a log line (warn), or nothing (off) [default: GEARBOX_IAM_MODE or enforce].",
)
def up(port: int | None, state_dir: Path | None, iam_mode: str | None) -> None:
    """Run the local cloud in the foreground on 127.0.0.1 (Ctrl-C stops it)."""
    from gearbox.local.cloud import LocalCloud
    from gearbox.settings import resolve_settings

    out = Output()
    settings = resolve_settings(os.environ, port=port, state_dir=state_dir, iam_mode=iam_mode)
    cloud = LocalCloud.open(settings)
    out.info(
        f"gearbox local cloud on {cloud.endpoint_url} (state in {settings.state_dir}); "
        "Ctrl-C stops it"
    )
    sys.stdout.flush()
    cloud.serve_forever()
    out.info("gearbox local cloud stopped")


@cli.command()
@click.argument("function")
@click.option("--payload", default="{}", help="The event: JSON, or @file to read it from a file.")
@click.option("--async", "is_async", is_flag=True, help="Invoke asynchronously (Event).")
@click.option(
    "--endpoint-url",
    default=None,
    help="The local cloud [default: AWS_ENDPOINT_URL or http://127.0.0.1:4566].",
)
@click.option("--region", default=None, help="[default: AWS_REGION or us-east-1]")
def invoke(
    function: str, payload: str, is_async: bool, endpoint_url: str | None, region: str | None
) -> None:
    """Invoke FUNCTION and print its response, or its error as Lambda shapes it.

    Exits 1 on a function error."""
    from gearbox.cli.invoke import run_invoke

    code = run_invoke(
        Output(),
        function,
        payload=payload,
        is_async=is_async,
        endpoint_url=endpoint_url,
        region=region,
        env=os.environ,
    )
    sys.exit(code)


@cli.command()
@click.argument("function")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines as they come.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The local cloud's state dir [default: .gearbox].",
)
def logs(function: str, follow: bool, state_dir: Path | None) -> None:
    """Print FUNCTION's log: each invocation from START to REPORT."""
    from gearbox.cli.logs import run_logs
    from gearbox.settings import resolve_settings

    settings = resolve_settings(os.environ, state_dir=state_dir)
    run_logs(Output(), settings.state_dir, function, follow)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except GearboxError as exc:
        Output().error(str(exc))
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USER_ERROR)
