"""
postfix_peer: a private Postfix (Debian's package, root only) for the
remote delivery's tests and bench: its own config_directory, queue and
data directories under a directory other users can reach, smtpd on a free
127.0.0.1 port, no service chrooted (a private queue has no copies of
/etc), never the system's /etc/postfix or its service.

    PostfixPeer(domain="pf.test", owner=(uid, gid))
        receives mail for domain into one Maildir (virtual(8)), owned
        by uid and gid: a receiving peer; host="127.0.0.25", port=25
        puts its smtpd there instead of a free port on 127.0.0.1
    PostfixPeer(relayhost="[127.0.0.1]:PORT", hold=True)
        its smtpd puts every message on hold, its smtp client relays to
        relayhost once released: a sending MTA to compare with

stop() stops it (SIGKILL after 30 s) and removes its directory.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile

import facteur_harness as H


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write_master_cf(conf_dir, port, host="127.0.0.1"):
    """conf_dir/master.cf: Debian's services, smtpd on host:port only
    (no smtp, submission or smtps on the host's ports), no service
    chrooted (a private queue_directory has no copies of /etc)."""
    src = "/usr/share/postfix/master.cf.dist"
    if not os.path.exists(src):
        src = "/etc/postfix/master.cf"
    out = ["%s:%d inet n - n - - smtpd" % (host, port)]
    with open(src) as f:
        for ln in f.read().splitlines():
            if re.match(r"^(smtp|submission|smtps)\s+inet\b", ln):
                continue
            m = re.match(r"^(\S+\s+\S+\s+\S+\s+\S+\s+)(\S+)(\s.*)$", ln)
            if m and not ln.startswith("#") and m.group(2) in ("y", "-"):
                ln = m.group(1) + "n" + m.group(3)
            out.append(ln)
    with open(os.path.join(conf_dir, "master.cf"), "w") as f:
        f.write("\n".join(out) + "\n")


class PostfixPeer:
    def __init__(self, domain=None, owner=None, relayhost=None, hold=False,
                 host="127.0.0.1", port=None):
        self.dir = tempfile.mkdtemp(prefix="facteur-postfix-",
                                    dir=H.reachable_tmpdir())
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "maillog")
        self.host, self.port = host, port or free_port()
        for d in (self.conf, self.queue, self.data):
            os.makedirs(d)
        shutil.chown(self.data, "postfix")
        write_master_cf(self.conf, self.port, host)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "mydestination": "",
            # master.cf's host:port binds 127.0.0.x; inet_interfaces
            # may name only addresses an interface has
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "smtp_tls_security_level": "none",
            "smtputf8_enable": "yes",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "alias_maps": "",
            "alias_database": "",
            "smtpd_recipient_restrictions":
                "permit_mynetworks, reject_unauth_destination",
        }
        if domain is not None:
            vmail = os.path.join(self.dir, "vmail")
            box = os.path.join(vmail, "Maildir")
            for sub in ("", "/new", "/cur", "/tmp"):
                os.makedirs(box + sub)
            for dp, _, _ in os.walk(vmail):
                os.chown(dp, owner[0], owner[1])
            self.maildir = box + "/new"
            main.update({
                "virtual_mailbox_domains": domain,
                "virtual_mailbox_base": vmail,
                "virtual_mailbox_maps": "static:Maildir/",
                "virtual_uid_maps": "static:%d" % owner[0],
                "virtual_gid_maps": "static:%d" % owner[1],
                "virtual_minimum_uid": "100",
            })
        if relayhost is not None:
            main["relayhost"] = relayhost
        if hold:
            main["smtpd_data_restrictions"] = \
                "check_client_access static:HOLD"
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self.cmd("postfix", "check")
        self.cmd("postfix", "start")
        H.wait_until(self.listening, 30, "postfix to listen")

    def listening(self):
        try:
            socket.create_connection((self.host, self.port), 1).close()
            return True
        except OSError:
            return False

    def cmd(self, prog, *args):
        r = subprocess.run(["/usr/sbin/" + prog, "-c", self.conf] +
                           list(args), capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise H.HarnessError("%s %s: %s %s" % (prog, args, r.stdout,
                                                   r.stderr))
        return r.stdout

    def messages(self):
        out = []
        for n in sorted(os.listdir(self.maildir)):
            with open(os.path.join(self.maildir, n), "rb") as f:
                out.append(f.read())
        return out

    def held(self):
        return sum(len(fs) for _, _, fs in
                   os.walk(os.path.join(self.queue, "hold")))

    def maillog(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def master_pid(self):
        with open(os.path.join(self.queue, "pid", "master.pid")) as f:
            return int(f.read().split()[0])

    def stop(self):
        pid = None
        try:
            pid = self.master_pid()
        except (OSError, ValueError, IndexError):
            pass
        subprocess.run(["/usr/sbin/postfix", "-c", self.conf, "stop"],
                       capture_output=True, timeout=120)
        if pid is not None:
            try:
                H.wait_until(lambda: not H.alive(pid), 30, "postfix to stop")
            except AssertionError:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
