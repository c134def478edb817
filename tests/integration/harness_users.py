"""
harness_users: the accounts behind a test instance: system accounts
created with useradd when missing (root only), the User record of one
entry of the users table, and the password hash that table stores.
facteur_harness re-exports every name.
"""
import pwd
import subprocess
import time

from harness_host import IS_ROOT, HarnessError
from harness_util import DOMAIN


def ensure_user(name, system=False):
    """Creates the account with useradd when missing (root only);
    running twice is harmless.  Returns its pwd entry."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if not IS_ROOT:
        raise HarnessError("user %s missing and not root" % name)
    cmd = ["useradd", "--no-create-home", "--home-dir", "/nonexistent",
           "--shell", "/usr/sbin/nologin"]
    if system:
        cmd.append("--system")
    cmd.append(name)
    for attempt in range(20):
        r = subprocess.run(cmd, capture_output=True, text=True)
        # 9: the name is taken (someone else created it meanwhile);
        # 1 or 10: /etc/passwd or /etc/group locked by a concurrent useradd
        if r.returncode in (0, 9):
            break
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        if r.returncode not in (1, 10):
            break
        time.sleep(0.25)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise HarnessError("useradd %s: exit %d: %s"
                           % (name, r.returncode, r.stderr.strip()))


class User:
    def __init__(self, name, login, uid, gid, home):
        self.name = name        # name in the users table (alice)
        self.login = login      # system account (fct-alice, or the caller)
        self.uid = uid
        self.gid = gid
        self.home = home
        self.addr = "%s@%s" % (name, DOMAIN)

    def __repr__(self):
        return "User(%s uid=%d)" % (self.name, self.uid)


def password_hash(password):
    """A crypt(3) SHA-512 hash, as the users table stores it."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
            return "{CRYPT}" + crypt.crypt(password,
                                           crypt.mksalt(crypt.METHOD_SHA512))
        except ImportError:
            return "{PLAIN}" + password

