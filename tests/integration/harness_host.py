"""
harness_host: what the harness takes from the host it runs on: whether it
runs as root (then with real users and privileges), the environment its
programs get, a temporary directory that other users can reach, and
HarnessError, raised when the host cannot give an instance what it needs
(a build, an account, a mount).  facteur_harness re-exports every name.
"""
import os
import tempfile

IS_ROOT = os.geteuid() == 0


class HarnessError(Exception):
    pass


def base_env(extra=None):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if extra:
        env.update(extra)
    return env


def reachable_tmpdir():
    """$TMPDIR when every directory above it lets other users through (the
    test users must reach their homes), else /tmp."""
    d = os.path.realpath(tempfile.gettempdir())
    p = d
    while True:
        try:
            if not os.stat(p).st_mode & 0o001:
                return "/tmp"
        except OSError:
            return "/tmp"
        if p == "/":
            return d
        p = os.path.dirname(p)
