"""``python -m covaex``: the same command line as the ``covaex`` script (scripts/build-artifact.sh uses it)."""

from covaex.cli import main

raise SystemExit(main())
