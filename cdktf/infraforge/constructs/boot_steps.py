"""Shell building blocks the instances' boot scripts share (the app tier's and the NAT instance's user data).

One text, pasted into both scripts, so a fix to how a boot retries reaches every
instance. It is written for the strictest of its hosts: the app tier's script
reaches Terraform inside ``base64encode("...")`` (:mod:`infraforge.constructs.user_data`),
so no double quote, backslash or ``${`` appears here.
"""

from __future__ import annotations

RETRY_FUNCTION = """\
# retry TRIES DELAY COMMAND...: run COMMAND until it succeeds, at most TRIES times, DELAY seconds apart;
# each failure is one line in the boot log, the last one ends the boot with the command named.
retry() {
  local tries=$1 delay=$2 try=1
  shift 2
  until $@; do
    if [ $try -ge $tries ]; then
      echo boot: gave up after $try tries: $* >&2
      return 1
    fi
    echo boot: try $try of $tries failed: $*, next in $delay s >&2
    try=$((try + 1))
    sleep $delay
  done
}
"""
"""A bash function: ``retry TRIES DELAY COMMAND...`` (COMMAND's words are not re-quoted: keep them plain)."""
