"""
harness_wait: polling for a condition with a deadline, the one way the
harness and the tests wait for programs (a file to appear, a process to
go, a message to land).  facteur_harness re-exports every name.
"""
import time

POLL = 0.05


def wait_until(cond, timeout=30.0, what="condition", interval=POLL):
    """Polls cond() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)
