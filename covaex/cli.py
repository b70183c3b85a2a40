"""The ``covaex`` command line: one entry point for both flows.

Subcommands import their implementation lazily, so ``covaex --help`` stays
instant and never starts jsii/Node. Every failure is one line on stderr with a
non-zero exit: 2 for usage errors, 1 for a failed command, 3 for a command
whose work has not landed yet, 70 for a bug (traceback with COVAEX_DEBUG=1).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from covaex_service.errors import CovaexError
from covaex_service.settings import FEEDS

from covaex.errors import CliError

PROG = "covaex"
Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error instead of usage + error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _serve(args: argparse.Namespace) -> int:
    from covaex_service.server import exit_now, serve
    from covaex_service.settings import load_settings

    settings = load_settings().with_overrides(host=args.host, port=args.port, workers=args.workers, feed=args.feed)
    serve(settings)
    # Stopped in order, workers joined: the interpreter's teardown has nothing left to release (server.py).
    exit_now(0)


def _synth(args: argparse.Namespace) -> int:
    from covaex.synth import synth_stacks

    result = synth_stacks(Path(args.out), force=args.force)
    for stack in result.stacks:
        print(result.out / "stacks" / stack / "cdk.tf.json")
    return 0


def _targets(args: argparse.Namespace) -> int:
    from covaex.targets import run_targets

    return run_targets(Path(args.stacks) if args.stacks else None, args.what)


def _docs_build(args: argparse.Namespace) -> int:
    from covaex.docsite.build import build_docs
    from covaex.docsite.screenshots import SCREENSHOTS_DIR

    build_docs(screenshots_dir=None if args.no_screenshots else SCREENSHOTS_DIR)
    return 0


def _docs_check(args: argparse.Namespace) -> int:
    from covaex.docsite.build import check_docs

    return check_docs()


def _spof(args: argparse.Namespace) -> int:
    from covaex.topology.commands import run_spof

    return run_spof([Path(p) for p in args.paths], fmt=args.format)


def _diagram(args: argparse.Namespace) -> int:
    from covaex.topology.commands import run_diagram

    return run_diagram(Path(args.path), Path(args.out))


def _diff(args: argparse.Namespace) -> int:
    from covaex.diff.command import run_diff

    diagrams = Path(args.diagrams) if args.diagrams else None
    return run_diff(args.base, args.head, fmt=args.format, fail_on=args.fail_on, diagrams=diagrams)


def _drill(args: argparse.Namespace) -> int:
    from covaex.drill.command import main as run_drill
    from covaex.progress import Steps
    from covaex.synth import DEFAULT_OUT, synth_stacks

    result = synth_stacks(DEFAULT_OUT, steps=Steps(1))
    return run_drill(args.scenario or [], args.out, args.format, result.out / "stacks")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="CovaEX market service and InfraForge infrastructure-as-docs tooling.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    serve = sub.add_parser("serve", help="run the service: main page, REST API, WebSocket gateway, ingest")
    serve.add_argument("--host", help="address to bind (default COVAEX_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="HTTP port (default COVAEX_PORT or 8000)")
    serve.add_argument("--workers", type=_positive, help="worker processes; more than 1 needs COVAEX_REDIS_URL")
    serve.add_argument("--feed", choices=FEEDS, help="market feed (default COVAEX_FEED or auto)")
    serve.set_defaults(handler=_serve)

    synth = sub.add_parser("synth", help="synthesize every CDKTF stack to DIR/stacks/<stack>/cdk.tf.json")
    synth.add_argument("--out", default="cdktf.out", metavar="DIR", help="output folder (default cdktf.out)")
    synth.add_argument("--force", action="store_true", help="synthesize even when the sources are unchanged")
    synth.set_defaults(handler=_synth)

    targets = sub.add_parser(
        "targets",
        help="the CPU architectures the stacks deploy on: what the artifact and the image are built for",
        description="Read every stack's EC2 instance types and print: artifact (default), one line per architecture "
        "the release artifact needs with its wheel platforms; image, the image's platforms (EKS nodes); all, every "
        "compute resource and its architecture. Exit 1 for an instance type that cannot be mapped.",
    )
    targets.add_argument("what", nargs="?", choices=("artifact", "image", "all"), default="artifact")
    targets.add_argument(
        "--stacks", metavar="DIR", help="folder of <stack>/cdk.tf.json (default: synthesize into cdktf.out)"
    )
    targets.set_defaults(handler=_targets)

    docs = sub.add_parser("docs", help="generated documentation: build or check for drift")
    docs_sub = docs.add_subparsers(dest="docs_command", metavar="ACTION", parser_class=_Parser)
    docs_sub.required = True
    docs_build = docs_sub.add_parser(
        "build", help="regenerate all generated pages and diagrams, and take the UI's screenshots"
    )
    docs_build.add_argument(
        "--no-screenshots",
        action="store_true",
        help="keep the screenshots in docs/screenshots/ as they are (mkdocs serve's rebuilds)",
    )
    docs_build.set_defaults(handler=_docs_build)
    docs_sub.add_parser(
        "check", help="fail, naming the files, when committed generated docs differ from the definitions"
    ).set_defaults(handler=_docs_check)

    spof = sub.add_parser("spof", help="SPOF analysis of Terraform JSON files or the As-Is inventory")
    spof.add_argument(
        "paths", nargs="+", metavar="PATH", help="cdk.tf.json, any *.tf.json, or the As-Is inventory YAML"
    )
    spof.add_argument("--format", choices=("json", "md"), default="md", help="output format (default md)")
    spof.set_defaults(handler=_spof)

    diagram = sub.add_parser("diagram", help="draw the topology of a Terraform JSON file or the As-Is inventory")
    diagram.add_argument("path", metavar="PATH", help="cdk.tf.json, any *.tf.json, or the As-Is inventory YAML")
    diagram.add_argument("-o", "--out", required=True, metavar="OUT", help="output file, .svg or .png")
    diagram.set_defaults(handler=_diagram)

    diff = sub.add_parser(
        "diff",
        help="architecture review of a change: resources, SPOFs, cost, exposure, IAM between two refs or folders",
        description="Compare BASE with HEAD (default: the working tree). Each is a git ref, synthesized from that "
        "commit without touching the working tree, or a folder holding stacks/<stack>/cdk.tf.json. Exit 1 when "
        "a finding at the --fail-on severity or worse is introduced, 2 for bad usage or input.",
    )
    diff.add_argument("base", metavar="BASE", help="git ref or folder of synthesized stacks")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="git ref or folder (default: the working tree)")
    diff.add_argument("--format", choices=("md", "json"), default="md", help="output format (default md)")
    diff.add_argument(
        "--fail-on",
        choices=("high", "medium", "low", "never"),
        default="high",
        help="exit 1 when a new SPOF finding of this severity or worse appears (default high)",
    )
    diff.add_argument(
        "--diagrams", metavar="DIR", help="also draw <stack>.before.svg / .after.svg of each changed stack into DIR"
    )
    diff.set_defaults(handler=_diff)

    from covaex.drill.names import SCENARIO_NAMES

    drill = sub.add_parser(
        "drill",
        help="run To-Be v1 prod on local stand-ins, break one part per scenario, measure what users see",
        description="Builds HAProxy, Redis + Sentinel, PostgreSQL + pg_auto_failover and two covaex serve "
        "instances on 127.0.0.0/8 from the synthesized tobe-v1-prod stack, runs a steady user load, breaks one "
        "part per scenario and measures recovery beside the resilience page's computed bound. Needs root.",
    )
    drill.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIO_NAMES,
        metavar="NAME",
        help=f"run this scenario (repeatable; default all): {', '.join(SCENARIO_NAMES)}",
    )
    drill.add_argument("--out", metavar="FILE", help="also write the results JSON to FILE")
    drill.add_argument("--format", choices=("table", "json"), default="table", help="stdout format (default table)")
    drill.set_defaults(handler=_drill)
    return parser


def _port(raw: str) -> int:
    value = _positive(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"port must be from 1 to 65535, got {raw}")
    return value


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {raw}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except CovaexError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, details on request
        if os.environ.get("COVAEX_DEBUG"):
            traceback.print_exc()
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (rerun with COVAEX_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
