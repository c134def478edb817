"""
peers: every Debian package an integration test drives besides facteur
(clients, peers, DNS servers), and how to install them.

`make check` installs them all before the integration passes start
(`python3 peers.py`, mk/check.sh), because the pass against the
ASan+UBSan programs runs in a network namespace of its own, where apt-get
cannot reach a mirror.  A test asks for one with conftest.need_package;
a package missing from PEERS is a failure of that test, never a silent
install from inside a pass.
"""
import os
import shutil
import subprocess
import sys

# (package, a command it installs)
PEERS = (
    ("strace", "strace"),
    ("openssl", "openssl"),
    ("swaks", "swaks"),
    ("curl", "curl"),
    ("iproute2", "ip"),
    ("util-linux", "unshare"),
    ("systemd", "systemd-socket-activate"),
    ("procmail", "procmail"),
    ("bsd-mailx", "mail"),
    ("pflogsumm", "pflogsumm"),
    ("fetchmail", "fetchmail"),
    ("getmail6", "getmail"),
    ("isync", "mbsync"),
    ("mutt", "mutt"),
    ("dovecot-imapd", "dovecot"),
    ("nsd", "nsd"),
    ("unbound", "unbound"),
    ("ldnsutils", "ldns-signzone"),
    ("dnsutils", "dig"),
)


def apt_install(pkgs):
    """apt-get install, with one `apt-get update` and a retry when the
    first attempt fails (a fresh machine's package lists are old).
    Returns apt-get's stderr when it failed, else None."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y",
           "-qq", "--no-install-recommends"] + list(pkgs)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True,
                       env=env)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return None if r.returncode == 0 else r.stderr.strip()[-300:]


def missing():
    return [pkg for pkg, cmd in PEERS if shutil.which(cmd) is None]


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import facteur_harness as H
    todo = missing()
    if not H.IS_ROOT or not shutil.which("apt-get"):
        if todo:
            print("peers: not installed (tests that need them are skipped): "
                  + " ".join(todo))
        return 0
    if todo:
        print("peers: installing " + " ".join(todo))
        why = apt_install(todo)
        if why:
            print("peers: apt-get failed: " + why, file=sys.stderr)
            return 1
    why = H.postfix_install()
    if why:
        print("peers: " + why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
