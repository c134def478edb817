"""
The attack battery, smtpd: what a subverted process could read in its own
memory.  The resident holds the users table (password hashes) for its
recipient checks and AUTH children; a session or a queue writer forked
from it must not: a session is the network's, a writer the queue
owner's.  As root the test reads every readable mapping of each process
through /proc/<pid>/mem and looks for the hashes, with the resident
itself as the control that the search finds them where they are.
(A TLS session does hold the server's private key, to do the handshake:
docs/security-smtpd.md says so; a plaintext session of smtpsession maps
no TLS library at all: test_master_resident.py.)
"""
import re

import pytest

import facteur_harness as H
from smtpd_fixtures import Client
from test_master import CHECK_TIMEOUT, free_port, master_factory  # noqa: F401
from test_master_resident import wait_resident
from test_master_resident_queue import deliver_one, writers
from test_master_resident_tls import the_session
from test_smtpd_tls_fixtures import TlsClient, tls_conf
from pop3d_fixtures import tls_dir

pytestmark = [pytest.mark.facteur(start=False), pytest.mark.root_only]

MAPS_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (r...) ")
BIG = 256 << 20     # a mapping larger than this is not read


def memory_holds(pid, needles):
    """The needles found in the readable memory of pid."""
    found = set()
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = MAPS_RE.match(line)
            if not m or "[vvar]" in line or "[vsyscall]" in line:
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            if end - start > BIG:
                # ASan's shadow and the like: reserved, not the program's
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for n in needles:
                if n in data:
                    found.add(n)
    return found


def hashes(fct):
    """The crypt(3) digests of the users table (after $id$salt$)."""
    out = set()
    with open(fct.users_path) as f:
        for line in f:
            h = line.split(":")[1]
            out.add(h.rsplit("$", 1)[1].encode())
    return out


def test_attack_memory_holds_no_password_hash(fct, master_factory):
    tls_conf(fct)
    sport = free_port()
    m = master_factory(smtps_listen="127.0.0.1:%d" % sport)
    res = wait_resident(m)
    sres = wait_resident(m, "-msmtps")
    secrets = hashes(fct)
    # a lookup and an AUTH: the table is loaded in the residents
    ca = "%s/ca.pem" % tls_dir()
    c = TlsClient(sport, ca, implicit=True)
    c.ehlo()
    assert c.auth_plain("alice")[0] == 235
    assert c.code("MAIL FROM:<alice@%s>" % H.DOMAIN) == 250
    assert c.code("RCPT TO:<bob@%s>" % H.DOMAIN) == 250
    assert memory_holds(sres, secrets) == secrets, "control: the resident"
    smtps_session = the_session(m)
    assert memory_holds(smtps_session, secrets) == set()
    c.cmd("QUIT")
    c.close()
    H.wait_until(lambda: not m.sessions(), CHECK_TIMEOUT, "no session")
    # a plaintext session of the mx resident, then the one that goes on
    # after STARTTLS (forked from the resident's own image)
    d = TlsClient(m.port, ca)
    d.ehlo()
    # (the resident loads the table when it starts)
    assert memory_holds(res, secrets) == secrets, "control: the resident"
    assert memory_holds(the_session(m), secrets) == set()
    d.starttls()
    d.ehlo()
    tls_session = the_session(m)
    assert H.proc_stat(tls_session)[1] == str(res)
    assert memory_holds(tls_session, secrets) == set()
    d.cmd("QUIT")
    d.close()
    # a queue writer, forked from the resident
    deliver_one(fct, m.port, "mem-writer")
    H.wait_until(lambda: writers(res), CHECK_TIMEOUT, "a queue writer")
    (w,) = writers(res)
    assert memory_holds(w, secrets) == set()
    e = Client(m.port)
    assert e.code("QUIT") == 221
