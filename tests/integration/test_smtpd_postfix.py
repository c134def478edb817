"""
A peer MTA: Debian's Postfix, run as a private instance from a temporary
config_directory (no system service), relays through facteur's smtpd with
relayhost = [127.0.0.1]:PORT.  What lands in the Maildir is checked byte
for byte: deliver's lines, smtpd's Received, Postfix's Received, then the
message exactly as injected.
"""
import os
import re
import shutil
import subprocess

import pytest

import facteur_harness as H
from smtpd_fixtures import smtpd, split_delivered  # noqa: F401

pytestmark = pytest.mark.root_only
D = H.DOMAIN


def install_postfix():
    why = H.postfix_install()
    if why is not None:
        pytest.skip(why)


class Postfix:
    def __init__(self, base, port):
        self.dir = os.path.join(base, "postfix")
        self.conf = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "maillog")
        for d in (self.dir, self.conf, self.queue, self.data):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix")
        master = None
        for p in ("/usr/share/postfix/master.cf.dist", "/etc/postfix/master.cf"):
            if os.path.exists(p):
                master = p
                break
        if master is None:
            pytest.skip("no master.cf in the postfix package")
        with open(master) as f:
            lines = f.read().splitlines()
        out = []
        for ln in lines:
            # no listener: mail enters through sendmail -C (pickup)
            if re.match(r"^(smtp|submission|smtps)\s+inet\b", ln):
                continue
            out.append(ln)
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(out) + "\n")
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
            "relayhost": "[127.0.0.1]:%d" % port,
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "alias_maps": "",
            "alias_database": "",
            "local_transport": "error:no local delivery",
            "smtp_tls_security_level": "none",
            "smtputf8_enable": "yes",
        }
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self.run("check")
        self.run("start")

    def run(self, *args):
        r = subprocess.run(["/usr/sbin/postfix", "-c", self.conf] +
                           list(args), capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise AssertionError("postfix %s: %s %s\n%s" % (
                args, r.stdout, r.stderr, self.maillog()))
        return r

    def sendmail(self, sender, rcpt, data):
        r = subprocess.run(["/usr/sbin/sendmail", "-C", self.conf, "-i",
                            "-f", sender, rcpt], input=data,
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr

    def maillog(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        subprocess.run(["/usr/sbin/postfix", "-c", self.conf, "stop"],
                       capture_output=True, timeout=120)


@pytest.fixture
def postfix(fct, smtpd):
    install_postfix()
    pf = Postfix(fct.root, smtpd.port)
    yield pf
    pf.stop()
    print("---- postfix maillog ----")
    print(pf.maillog()[-6000:])


def test_postfix_relays_through_smtpd(fct, smtpd, postfix):
    bodies = [
        b"plain text\n.leading dot\n..two dots\n",
        b"8-bit: caf\xc3\xa9 na\xc3\xafve\n",
        b"".join(b"line %d of a longer message\n" % i for i in range(5000)),
    ]
    sent = {}
    for i, body in enumerate(bodies):
        tag, msg = H.make_message(tag="postfix%d" % i, body=body,
                                  sender="someone@postfix.test")
        postfix.sendmail("someone@postfix.test", "bob@" + D, msg)
        sent[tag] = msg
    for tag, msg in sent.items():
        got = fct.wait_for_tag("bob", tag, timeout=120)
        rp, dt, rcv, rest = split_delivered(got)
        assert rp == "someone@postfix.test"
        assert dt == "bob@" + D
        assert b"from postfix.test" in rcv
        # Postfix's own trace header, then the message as injected
        m = re.match(rb"Received: by postfix\.test \(Postfix[^\n]*\n"
                     rb"(?:\t[^\n]*\n)*", rest)
        assert m, rest[:300]
        assert rest[m.end():] == msg
    fct.assert_queue_empty()
    assert len(fct.messages("bob")) == len(sent)
