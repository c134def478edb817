"""
dovecot_instance: a private Dovecot for the POP3 and IMAP benches
(pop3_bench.py, imap_bench.py): Debian's package, installed with apt-get
when it is missing (as root; the package starts nothing here, and the
system's dovecot is stopped to be sure), run on a free loopback port
from a configuration of its own under the instance's root, never
/etc/dovecot.  It serves the instance's users from a passwd-file with
the same SHA-512 hashes facteur checks, with plaintext logins allowed
and no TLS, so that neither server pays for TLS.

    binary = dovecot_binary("dovecot-imapd", "/usr/lib/dovecot/imap")
    d = Dovecot(inst, binary, "imap", extra="mail_fsync = optimized")
    ... d.port, d.proc ...
    d.stop()
"""
import os
import pwd
import shutil
import socket
import subprocess

import facteur_harness as H
from pop3d_fixtures import PASSWORD

OTHER = {"imap": "pop3", "pop3": "imap"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dovecot_binary(package, program):
    """The dovecot master when package's program is there (installed
    now if need be, as root); None when it cannot be had."""
    def found():
        path = shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot")
            else None)
        return path if path and os.path.exists(program) else None
    if found() or not H.IS_ROOT or not shutil.which("apt-get"):
        return found()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for _ in range(2):
        r = subprocess.run(["apt-get", "install", "-y", "-qq",
                            "-o", "DPkg::Lock::Timeout=900",
                            "--no-install-recommends", package],
                           capture_output=True, env=env)
        if r.returncode == 0:
            break
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True,
                       env=env)
    subprocess.run(["systemctl", "stop", "dovecot"], capture_output=True)
    return found()


class Dovecot:
    """Dovecot serving protocol ("imap" or "pop3") on 127.0.0.1:port,
    the other protocol's listeners off; extra: more lines of
    dovecot.conf."""

    def __init__(self, inst, binary, protocol, extra=""):
        d = os.path.join(inst.root, "dovecot")
        os.makedirs(d, 0o755, exist_ok=True)
        self.port = free_port()
        users = os.path.join(d, "users")
        h = H.password_hash(PASSWORD)
        with open(users, "w") as f:
            for u in inst.users.values():
                f.write("%s:%s:%d:%d::%s::\n" % (u.name, h, u.uid, u.gid,
                                                 u.home))
        try:
            pwd.getpwnam("dovenull")
            login_user = "dovenull"
        except KeyError:
            login_user = pwd.getpwuid(os.getuid()).pw_name
        conf = os.path.join(d, "dovecot.conf")
        with open(conf, "w") as f:
            f.write("""
base_dir = %(d)s/run
state_dir = %(d)s/state
log_path = %(d)s/log
protocols = %(p)s
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
default_login_user = %(lu)s
default_internal_user = %(iu)s
mail_location = maildir:~/Maildir
%(extra)s
passdb {
  driver = passwd-file
  args = %(users)s
}
userdb {
  driver = passwd-file
  args = %(users)s
}
service %(p)s-login {
  inet_listener %(p)s {
    address = 127.0.0.1
    port = %(port)d
  }
  inet_listener %(p)ss {
    port = 0
  }
}
service %(o)s-login {
  inet_listener %(o)s {
    port = 0
  }
  inet_listener %(o)ss {
    port = 0
  }
}
""" % {"d": d, "users": users, "port": self.port, "lu": login_user,
                "iu": "dovecot" if H.IS_ROOT else login_user,
                "p": protocol, "o": OTHER[protocol], "extra": extra})
        self.proc = subprocess.Popen([binary, "-F", "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return True
            except OSError:
                return False
        H.wait_until(up, 30, "dovecot to listen")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
