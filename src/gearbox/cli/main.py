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
    if cloud.backend.replayed:
        out.info(
            f"the last run did not stop cleanly: {cloud.backend.replayed} write(s) to S3, DynamoDB "
            "and the other backend services were replayed from the log"
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


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), default=".")
@click.option(
    "--endpoint-url",
    default=None,
    help="A running local cloud [default: AWS_ENDPOINT_URL, else start one here].",
)
@click.option("--port", type=int, default=None, help="Port of a cloud started here [4566].")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="State dir of a cloud started here [default: .gearbox].",
)
@click.option(
    "--iam-mode",
    type=click.Choice(["enforce", "warn", "off"]),
    default=None,
    help="A cloud started here: what a function's call its policy does not allow gets "
    "[default: GEARBOX_IAM_MODE or enforce].",
)
def dev(
    path: Path,
    endpoint_url: str | None,
    port: int | None,
    state_dir: Path | None,
    iam_mode: str | None,
) -> None:
    """Run the project at PATH on the local cloud, stream its events, reload on changes.

    Each function runs under the least-privilege policy generated from its code."""
    from gearbox.cli.dev import run_dev
    from gearbox.settings import resolve_settings

    settings = resolve_settings(os.environ, port=port, state_dir=state_dir, iam_mode=iam_mode)
    run_dev(
        Output(),
        path,
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
        settings,
        os.environ,
    )


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "dot", "mermaid"]),
    default="text",
    show_default=True,
    help="Plain text, Graphviz dot, or a Mermaid flowchart.",
)
def graph(path: Path, fmt: str) -> None:
    """Print the event graph of the project at PATH (a .py file, a package, or a folder whose
    pyproject.toml has [tool.gearbox] app = "module")."""
    from gearbox.graph import build, load_project, validate
    from gearbox.graph.render import FORMATS

    built = build(load_project(path))
    validate(built)
    click.echo(FORMATS[fmt](built), nl=False)


@cli.command()
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    help="Where to create the NAME folder [default: here].",
)
def new(name: str, parent: Path) -> None:
    """Create a new service NAME from Gearbox's template (async, DLQs, one role per function)."""
    from gearbox.scaffold import write_service

    out = Output()
    for path in write_service(name, parent):
        out.info(f"created {path}")
    out.info(f"next: cd {parent / name} && python -m pytest, then gearbox dev")


@cli.command()
@click.argument("function", required=False)
@click.option("--handler", default=None, help="A plain Lambda handler: path/to/file.py:function.")
@click.option(
    "--app",
    "app_path",
    type=click.Path(exists=True, path_type=Path),
    default=Path(),
    help="The project whose FUNCTION (or every function) to print [default: here].",
)
@click.option(
    "--observed",
    is_flag=True,
    help="The policy FUNCTION's calls on the local cloud needed, and its difference from the "
    "generated one.",
)
@click.option(
    "--endpoint-url",
    default=None,
    help="With --observed: the local cloud [default: AWS_ENDPOINT_URL or http://127.0.0.1:4566].",
)
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json")
@click.option(
    "--bind",
    "binds",
    multiple=True,
    help="VAR=KIND:NAME: environment variable VAR names resource NAME (KIND: bucket, queue, "
    "topic, table, function, state_machine, secret). Repeatable.",
)
@click.option("--account", default="123456789012", help="Account id in the ARNs.")
@click.option("--region", default="us-east-1", help="Region in the ARNs.")
def policy(
    function: str | None,
    *,
    handler: str | None,
    app_path: Path,
    observed: bool,
    endpoint_url: str | None,
    fmt: str,
    binds: tuple[str, ...],
    account: str,
    region: str,
) -> None:
    """Print the least-privilege IAM policy of FUNCTION of the app at --app (every function
    when FUNCTION is not given), or of a plain Lambda handler (--handler).

    Warnings (blind spots, statements left with Resource "*") go to stderr."""
    from gearbox.cli.policy import run_app_policy, run_observed_policy, run_policy

    if observed:
        if function is None:
            raise click.UsageError("--observed needs the FUNCTION whose calls to show")
        endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or "http://127.0.0.1:4566"
        run_observed_policy(app_path, function, fmt, endpoint, account=account, region=region)
    elif handler is not None:
        if function is not None:
            raise click.UsageError("give FUNCTION (of the app at --app) or --handler, not both")
        run_policy(handler, fmt, binds, account, region)
    else:
        run_app_policy(app_path, function, fmt, account, region)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except GearboxError as exc:
        for line in str(exc).splitlines() or [""]:
            Output().error(line)
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USER_ERROR)
