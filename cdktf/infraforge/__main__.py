"""Entry point of the CDKTF app: ``python -m infraforge [--out DIR]``.

``cdktf.json`` runs this for ``cdktf synth``/``cdktf deploy`` and
``covaex synth`` runs it too, so both always produce the same stacks.
"""

from __future__ import annotations

import argparse
import os

from infraforge.app import build_app
from infraforge.inputs import InputError


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m infraforge")
    parser.add_argument("--out", default=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    parser.add_argument(
        "--docs-example",
        action="store_true",
        help="fill unset inputs from the documentation's example values (covaex synth), never for a deploy",
    )
    args = parser.parse_args()
    try:
        app = build_app(args.out, docs_example=args.docs_example)
    except (InputError, ValueError) as exc:
        # A bad input or config is the operator's to fix: one line, no traceback.
        raise SystemExit(f"infraforge: {exc}") from None
    app.synth()


if __name__ == "__main__":
    main()
