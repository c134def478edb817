"""
attack_fixtures: the deliberately subverted smtpd session of the attack
battery (tests/integration/test_attack_smtpd_*.py).  No test lives here.

$FACTEUR_BUILD/subverted/ holds smtpd and smtpsession built with
-DSMTPD_SUBVERTED (smtpd/sources.mk, smtpd/session_subvert.c): a test-only
build, never installed, whose session skips every check it makes before
asking its monitor and takes commands that let the test choose exactly
what it sends to its monitor (XMON, XMONSOCK, XFDWRITE, XFDCLOSE, XRCPT).
The fixture installs them in the instance's program_dir in place of the
real ones, and serves them

    - under the master's resident smtpd (mx, submission, smtps; "mx-tls"
      goes on after STARTTLS, handed from smtpsession to the resident);
    - per connection, the inetd way ("inetd-mx", "inetd-submission",
      "inetd-smtps").

    def test_x(fct, attack):
        c = attack.open("mx")              # greeted, EHLO said (TLS done)
        nfds, fields = xmon(c, "MSGSTART", qid())
"""
import binascii
import os
import random
import re
import shutil

import pytest

import facteur_harness as H
from pop3d_fixtures import tls_dir
from smtpd_fixtures import SmtpdServer
from test_master import Master, free_port
from test_master_resident import wait_resident
from test_smtpd_tls_fixtures import TlsClient, plain_ir, tls_conf

__all__ = ["attack", "RESIDENT", "INETD", "SERVICES", "xmon", "xmonsock",
           "xfdwrite", "xfdclose", "qid", "commits", "attacker",
           "plain_ir", "VICTIM", "ALICE"]

RESIDENT = ("mx", "submission", "smtps", "mx-tls")
INETD = ("inetd-mx", "inetd-submission", "inetd-smtps")
SERVICES = RESIDENT + INETD

ALICE = "alice@" + H.DOMAIN
VICTIM = "victim@remote.example"
QUEUEID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def subverted_program(name):
    p = os.path.join(H.BUILD, "subverted", name)
    if not os.path.isfile(p):
        pytest.fail("%s is not built (make test-variants)" % p)
    return p


class Attack:
    """The subverted programs installed, and the services that run them."""

    def __init__(self, inst):
        self.inst = inst
        for name in ("smtpd", "smtpsession"):
            dst = os.path.join(inst.libexec, name)
            shutil.copyfile(subverted_program(name), dst)
            os.chmod(dst, 0o755)
        tls_conf(inst, auth_fail_delay_max="0")
        self.ca = os.path.join(tls_dir(), "ca.pem")
        self.master = None
        self.inetd = {}
        self.ports = {}
        self.clients = []

    def _resident(self):
        if self.master is None:
            sub, smtps = free_port(), free_port()
            self.master = Master(
                self.inst,
                submission_listen="127.0.0.1:%d" % sub,
                smtps_listen="127.0.0.1:%d" % smtps)
            self.ports = {"mx": self.master.port, "submission": sub,
                          "smtps": smtps, "mx-tls": self.master.port}
            for arg in ("-mmx", "-msubmission", "-msmtps"):
                wait_resident(self.master, arg)
        return self.ports

    def port(self, service):
        if service in RESIDENT:
            return self._resident()[service]
        if service not in self.inetd:
            mode = service.split("-", 1)[1]
            self.inetd[service] = SmtpdServer(self.inst, ["-m", mode])
        return self.inetd[service].port

    def open(self, service, ehlo="attacker.test"):
        """A client of service: greeted, TLS on where the service has it
        (smtps: implicit; mx-tls: STARTTLS), EHLO said."""
        mode = service.split("-", 1)[1] if service.startswith("inetd-") \
            else service
        c = TlsClient(self.port(service), self.ca,
                      implicit=mode == "smtps")
        self.clients.append(c)
        assert c.greeting[0] == 220, c.greeting
        c.ehlo(ehlo)
        if mode == "mx-tls":
            c.starttls()
            c.ehlo(ehlo)
        return c

    def close(self):
        for c in self.clients:
            c.close()
        if self.master is not None:
            self.master.stop()
        for s in self.inetd.values():
            s.close()


@pytest.fixture
def attack(fct):
    a = Attack(fct)
    yield a
    a.close()


def _hex(x):
    if isinstance(x, str):
        x = x.encode()
    return binascii.hexlify(x).decode()


def _parse(code, lines):
    """(nfds, [fields]) of an XMON reply; None when the session is gone
    (the monitor killed it) or refused the command."""
    if code != 250:
        return None
    words = lines[-1].split(" ")
    return int(words[0]), [binascii.unhexlify(w) for w in words[1:]]


def xmon(c, *fields):
    """Sends one frame to the monitor through the subverted session."""
    return _parse(*c.cmd("XMON " + " ".join(_hex(f) for f in fields)))


def xmonsock(c, port, *fields):
    """The same frame, with a socket connected to 127.0.0.1:port, or
    with the session's own descriptor N for port "fdN"."""
    return _parse(*c.cmd("XMONSOCK %s " % port +
                         " ".join(_hex(f) for f in fields)))


def xfdwrite(c, i, data):
    """Writes data to descriptor i that came with the last answer."""
    for k in range(0, len(data), 200):
        code, lines = c.cmd("XFDWRITE %d %s" % (i, _hex(data[k:k + 200])))
        if code != 250:
            return False
    return True


def xfdclose(c, i):
    return c.code("XFDCLOSE %d" % i) == 250


def qid():
    """A queue ID of the valid form (lib/queue/queueid.h)."""
    return "0" * 10 + "".join(random.choice(QUEUEID_ALPHABET)
                              for _ in range(4))


def attacker():
    """A sender address unique to one attack, to find its commits by."""
    return "attacker-%s@evil.example" % H.uuid.uuid4().hex[:12]


def commits(inst, sender):
    """The recipient counts of every message committed to the queue with
    this sender: queue_inject's line "ID: from=<s>, size=N, nrcpt=N,
    uid=N", logged once the commit is durable."""
    return [int(n) for n in re.findall(
        r": from=<%s>, size=\d+, nrcpt=(\d+), uid=" % re.escape(sender),
        inst.log())]
