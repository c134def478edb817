"""
pop3d with real clients nobody here wrote: fetchmail (STLS and POP3S,
into a file through an mda, deleting what it fetched), curl (pop3:// with
STLS required, pop3s://, LIST, RETR, DELE) and getmail6 (POP3 over SSL
into an mbox).  What they got is compared with what was stored.
"""
import os
import subprocess

from conftest import need_package
from pop3d_fixtures import (PASSWORD, pop3, put_message,  # noqa: F401
                            wire)

import facteur_harness as H


def store(fct, n=3):
    msgs = []
    for i in range(n):
        tag, m = H.make_message(body=b"line one\n.dot line\nlast %d\n" % i)
        put_message(fct, "alice", m)
        msgs.append((tag, m))
    return msgs


def run(argv, env=None, timeout=120):
    e = H.base_env(env)
    r = subprocess.run(argv, capture_output=True, timeout=timeout, env=e,
                       cwd="/")
    return r


def fetchmail_rc(fct, pop3, port, ssl_line, out):
    d = os.path.join(fct.root, "fetchmail")
    os.makedirs(d, 0o700, exist_ok=True)
    rc = os.path.join(d, "rc")
    with open(rc, "w") as f:
        f.write('set no syslog\n'
                'poll 127.0.0.1 port %d proto POP3 uidl\n'
                '  user "alice" password "%s"\n'
                '  %s sslcertck sslcertfile "%s" sslcommonname localhost\n'
                '  mda "/bin/sh -c \'cat >> %s; echo ==END== >> %s\'"\n'
                % (port, PASSWORD, ssl_line, pop3.ca, out, out))
    os.chmod(rc, 0o600)
    return d, rc


def check_fetchmail(fct, pop3, port, ssl_line):
    fm = need_package("fetchmail")
    msgs = store(fct)
    out = os.path.join(fct.root, "fetched")
    d, rc = fetchmail_rc(fct, pop3, port, ssl_line, out)
    r = run([fm, "-N", "-f", rc, "--pidfile", os.path.join(d, "pid")],
            env={"FETCHMAILHOME": d, "HOME": d})
    assert r.returncode == 0, (r.stdout, r.stderr)
    with open(out, "rb") as f:
        got = f.read().split(b"==END==\n")[:-1]
    assert len(got) == 3
    for (tag, m), g in zip(msgs, got):
        # fetchmail adds its Received header and gives LF ends to the mda
        assert g.endswith(m.split(b"\n\n", 1)[1])
        assert H.tag_of(g.split(b"\n", 1)[1]) == tag
    # fetchmail deletes what it fetched (no "keep")
    assert fct.maildir_files("alice", "cur") == []
    assert fct.maildir_files("alice", "new") == []


def test_fetchmail_stls(fct, pop3):
    check_fetchmail(fct, pop3, pop3.port, "sslproto TLS1.2+")


def test_fetchmail_pop3s(fct, pop3):
    check_fetchmail(fct, pop3, pop3.sport, "ssl")


def curl(pop3, url, *extra):
    path = need_package("curl")
    return run([path, "-sS", "--cacert", pop3.ca, "-u",
                "alice:" + PASSWORD] + list(extra) + [url])


def test_curl_pop3_stls_and_pop3s(fct, pop3):
    msgs = store(fct, 2)
    r = curl(pop3, "pop3://127.0.0.1:%d/" % pop3.port, "--ssl-reqd")
    assert r.returncode == 0, r.stderr
    listing = r.stdout.splitlines()
    assert [int(x.split()[0]) for x in listing] == [1, 2]
    assert [int(x.split()[1]) for x in listing] == \
        [len(wire(m)) for _, m in msgs]
    for i, (tag, m) in enumerate(msgs):
        r = curl(pop3, "pop3://127.0.0.1:%d/%d" % (pop3.port, i + 1),
                 "--ssl-reqd")
        assert r.returncode == 0, r.stderr
        assert r.stdout == wire(m)
        r = curl(pop3, "pop3s://127.0.0.1:%d/%d" % (pop3.sport, i + 1))
        assert r.returncode == 0, r.stderr
        assert r.stdout == wire(m)
    # curl's DELE: gone after its QUIT
    r = curl(pop3, "pop3s://127.0.0.1:%d/1" % pop3.sport, "-X", "DELE",
             "-I")
    assert r.returncode == 0, r.stderr
    assert len(fct.maildir_files("alice", "cur")) == 1


def test_curl_refused_without_tls(fct, pop3):
    store(fct, 1)
    r = curl(pop3, "pop3://127.0.0.1:%d/" % pop3.port)
    # curl without --ssl-reqd logs in in the clear: refused with [AUTH]
    assert r.returncode != 0
    assert len(fct.maildir_files("alice", "cur") +
               fct.maildir_files("alice", "new")) == 1


def test_getmail_pop3_ssl(fct, pop3):
    gm = need_package("getmail6", "getmail")
    msgs = store(fct)
    d = os.path.join(fct.root, "getmail")
    os.makedirs(d, 0o700, exist_ok=True)
    mbox = os.path.join(d, "mbox")
    open(mbox, "wb").close()
    if H.IS_ROOT:
        # getmail will not deliver as root: it runs as alice
        u = fct.user("alice")
        for p in (d, mbox):
            os.chown(p, u.uid, u.gid)
    rc = os.path.join(d, "getmailrc")
    with open(rc, "w") as f:
        f.write("[retriever]\ntype = SimplePOP3SSLRetriever\n"
                "server = 127.0.0.1\nport = %d\nusername = alice\n"
                "password = %s\nca_certs = %s\n\n"
                "[destination]\ntype = Mboxrd\npath = %s\n\n"
                "[options]\ndelete = true\nread_all = true\n"
                "message_log_syslog = false\n"
                % (pop3.sport, PASSWORD, pop3.ca, mbox))
    r = fct.run([gm, "--getmaildir", d, "--rcfile", rc], user="alice",
                env={"HOME": d})
    assert r.returncode == 0, (r.stdout, r.stderr)
    with open(mbox, "rb") as f:
        data = f.read()
    for tag, m in msgs:
        assert b"X-Facteur-Test: " + tag.encode() in data
    assert data.count(b"\n>.dot line\n") == 0     # not mangled
    assert data.count(b"\n.dot line\n") == 3
    assert fct.maildir_files("alice", "cur") == []
