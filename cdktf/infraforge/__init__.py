"""InfraForge: CovaEX's AWS infrastructure as CDK for Terraform stacks.

This package is the only place that imports the CDKTF library and its
providers, so moving to the community fork ``cdktn`` is a rename here.
"""

from __future__ import annotations

import os

# jsii warns on every start that Node 20 is past end-of-life; the warning is
# known and not actionable per run.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
