"""``covaex serve`` raises its soft open-files limit to the hard one: each WebSocket client is a descriptor."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, resource
from covaex_service.server import raise_open_files_limit
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (256, min(hard, 4096)))
print(json.dumps([raise_open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)]))
"""


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.strip()
    (before, after), (soft, hard) = json.loads(out.splitlines()[-1])
    assert before == 256
    assert after == soft == hard
    assert hard > 256
