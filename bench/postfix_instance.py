"""
postfix_instance: the private Postfix the SMTP bench compares facteur
with (Debian's package, root only): its own config_directory, queue and
data directories in a temporary directory, smtpd on a free loopback port,
STARTTLS offered, virtual(8) delivery into one Maildir as the harness's
test user; never the system's /etc/postfix or its service.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile

from smtp_bench_util import free_port, say, self_signed_cert
from smtp_drive import RCPT_USER
import facteur_harness as H
from postfix_peer import write_master_cf


class Postfix:
    """A private Postfix: own config_directory, queue, SMTP on a free
    loopback port, virtual(8) delivery into one Maildir as a fixed uid."""

    def __init__(self, uid, gid):
        self.dir = tempfile.mkdtemp(prefix="facteur-bench-postfix-",
                                    dir=H.reachable_tmpdir())
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.vmail = os.path.join(self.dir, "vmail")
        self.log = os.path.join(self.dir, "maillog")
        self.port = free_port()
        for d in (self.conf, self.queue, self.data, self.vmail):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix")
        box = os.path.join(self.vmail, RCPT_USER, "Maildir")
        for sub in ("", "/new", "/cur", "/tmp"):
            os.makedirs(box + sub, exist_ok=True)
        for dp, _, _ in os.walk(self.vmail):
            os.chown(dp, uid, gid)
        self.maildir = box + "/new"
        cert, key = self_signed_cert(self.dir)
        write_master_cf(self.conf, self.port)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "postfix.test",
            "mydestination": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "alias_maps": "",
            "alias_database": "",
            "virtual_mailbox_domains": H.DOMAIN,
            "virtual_mailbox_base": self.vmail,
            "virtual_mailbox_maps": "static:%s/Maildir/" % RCPT_USER,
            "virtual_uid_maps": "static:%d" % uid,
            "virtual_gid_maps": "static:%d" % gid,
            "virtual_minimum_uid": "100",
            # STARTTLS offered, as facteur's smtpd will; the plaintext
            # runs do not use it
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": "%s, %s" % (key, cert),
            "smtpd_recipient_restrictions":
                "permit_mynetworks, reject_unauth_destination",
        }
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self.run("check")
        self.run("start")
        H.wait_until(self.listening, 30, "postfix to listen")

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def run(self, *args):
        r = subprocess.run(["/usr/sbin/postfix", "-c", self.conf] +
                           list(args), capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise H.HarnessError("postfix %s: %s %s" % (
                args, r.stdout, r.stderr))

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def version(self):
        r = subprocess.run(["/usr/sbin/postconf", "-c", self.conf, "-h",
                            "mail_version"], capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self):
        pid = None
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
        subprocess.run(["/usr/sbin/postfix", "-c", self.conf, "stop"],
                       capture_output=True, timeout=120)
        if pid is not None:
            try:
                H.wait_until(lambda: not H.alive(pid), 30, "postfix to stop")
            except AssertionError:
                say("  postfix master %d ignored stop; killed" % pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
