"""Process groups of the commands a harness runs (the integration tests,
test_cc.py and bench/sampled.py share this).

Each command runs in its own session, so that a timeout kills its whole
group (lockhound run, the program, its children).  The groups still
running when the harness itself ends (an exception, or SIGTERM, SIGINT or
SIGHUP from make or a user) are killed too: else they outlive it, as
orphans nothing waits for.  A harness records a group in `live` when it
starts the command and drops it once the command is reaped."""

import atexit
import os
import signal

live = {}


def kill_live_groups():
    """SIGKILL every process group started and not yet reaped"""
    while True:
        try:
            groups = list(live)
            break
        except RuntimeError:  # another thread changed it meanwhile
            continue
    for pg in groups:
        try:
            os.killpg(pg, signal.SIGKILL)
        except OSError:
            pass


def _die_of(sig, frame):
    kill_live_groups()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def guard_process_groups():
    """from the main thread: kill the live groups when the harness ends"""
    atexit.register(kill_live_groups)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _die_of)
