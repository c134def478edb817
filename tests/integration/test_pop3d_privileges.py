"""
pop3d's three processes as root: the monitor stays root and holds no
client descriptor, the login process runs as facteur-login chrooted to
login_chroot, the session as the mailbox owner; the login process cannot
open the Maildir and the session cannot open the private key (tried as
their uids); uid 0 and uids below first_valid_uid never get a session.
The session is program_dir/pop3session: it maps no OpenSSL and no PAM
and holds no descriptor but the relay and its log; without it a login
gets [SYS/TEMP] and nothing else happens.
"""
import os
import pwd
import subprocess

import pytest

import facteur_harness as H
from pop3d_fixtures import (LOGIN_USER, PASSWORD, Raw, pop3,  # noqa: F401
                            put_message)


def can_open(uid, gid, path):
    """Whether a process with uid/gid (no extra groups) can read path."""
    r = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; open(sys.argv[1], 'rb')",
         path], user=uid, group=gid, extra_groups=[], capture_output=True,
        cwd="/", timeout=60)
    return r.returncode == 0


def three_processes(fct, monitor, user="alice"):
    """(login, session) of the connection monitor serves, once each
    process was checked: the monitor root, the login process
    facteur-login in login_chroot, the session the user in its home, and
    only the login process holding the client socket, nobody the key
    (test_imapd_privileges.py's too)."""
    kids = H.children(monitor)
    assert len(kids) == 2, kids
    login_pw = pwd.getpwnam(LOGIN_USER)
    owner = fct.user(user)
    by_uid = {H.proc_uids(k)[0]: k for k in kids}
    assert set(by_uid) == {login_pw.pw_uid, owner.uid}
    login, session = by_uid[login_pw.pw_uid], by_uid[owner.uid]

    assert H.proc_uids(monitor) == (0, 0, 0, 0)
    assert H.proc_uids(login) == (login_pw.pw_uid,) * 4
    assert H.proc_uids(session) == (owner.uid,) * 4
    assert os.readlink("/proc/%d/root" % login) == \
        os.path.join(fct.root, "empty")
    assert os.readlink("/proc/%d/root" % session) == "/"
    assert os.readlink("/proc/%d/cwd" % session) == owner.home

    # descriptors: only the login process holds the client socket
    assert any(t.startswith("socket:") for t in fd_targets(login))
    key = fct.conf["tls_key_file"]
    for pid in (login, session, monitor):
        assert key not in fd_targets(pid)
    return login, session


def fd_targets(pid):
    out = []
    d = "/proc/%d/fd" % pid
    for n in os.listdir(d):
        try:
            out.append(os.readlink(os.path.join(d, n)))
        except OSError:
            pass
    return out


@pytest.mark.root_only
def test_process_identities(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    name = put_message(fct, "alice", b"Subject: x\n\nbody\n", sub="cur")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 1 ")
    (monitor,) = [p for p in pop3.plain.pids() if H.alive(p)]
    login, session = three_processes(fct, monitor)
    login_pw = pwd.getpwnam(LOGIN_USER)
    alice = fct.user("alice")
    key = fct.conf["tls_key_file"]

    # what each could open, tried with their ids
    msg = os.path.join(fct.maildir("alice", "cur"), name)
    assert not can_open(login_pw.pw_uid, login_pw.pw_gid, msg)
    assert not can_open(alice.uid, alice.gid, key)
    assert can_open(alice.uid, alice.gid, msg)
    assert c.cmd("QUIT").startswith(b"+OK")


@pytest.mark.root_only
def test_monitor_has_no_client_socket(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    (monitor,) = [p for p in pop3.plain.pids() if H.alive(p)]
    # fds 0 and 1 of the monitor are /dev/null, not the connection: it
    # lets them go right after forking the login process, which may
    # have greeted the client an instant before
    try:
        H.wait_until(lambda: [os.readlink("/proc/%d/fd/%d" % (monitor, fd))
                              for fd in (0, 1)] == ["/dev/null"] * 2,
                     10, "the monitor to let the connection go")
    finally:
        c.cmd("QUIT")


@pytest.mark.root_only
@pytest.mark.facteur(extra_users={"zero": (0, 0), "low": (10, 10)})
def test_low_uids_refused(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    for u in ("zero", "low"):
        os.makedirs(os.path.join(fct.home, u, "Maildir", "cur"),
                    exist_ok=True)
        c = Raw(pop3.port)
        r = c.login(u)
        assert r.startswith(b"-ERR [AUTH]"), (u, r)
        c.cmd("QUIT")


def session_of(fct, pop3, user):
    (monitor,) = [p for p in pop3.plain.pids() if H.alive(p)]
    uid = fct.user(user).uid
    (session,) = [k for k in H.children(monitor)
                  if H.proc_uids(k)[0] == uid]
    return session


@pytest.mark.root_only
def test_session_is_pop3session(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: x\n\nbody\n")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 1 ")
    session = session_of(fct, pop3, "alice")
    alice = fct.user("alice")
    assert os.readlink("/proc/%d/exe" % session) == \
        fct.program("pop3session")
    assert H.proc_uids(session) == (alice.uid,) * 4
    with open("/proc/%d/status" % session) as f:
        groups = [ln.split()[1:] for ln in f if ln.startswith("Groups:")]
    assert groups == [[]] or groups == [[str(alice.gid)]], groups
    with open("/proc/%d/maps" % session) as f:
        maps = f.read()
    for lib in ("libssl", "libcrypto", "libpam", "libcrypt"):
        assert lib not in maps, lib
    # the relay on 0 and 1, the log on 2, its own mailbox lock; nothing
    # of the monitor's
    fds = sorted(int(n) for n in os.listdir("/proc/%d/fd" % session))
    assert fds == [0, 1, 2, 3], fds
    assert os.readlink("/proc/%d/fd/0" % session).startswith("socket:")
    assert os.readlink("/proc/%d/fd/3" % session) == \
        os.path.join(alice.home, "Maildir", "facteur-pop3.lock")
    assert not can_open(alice.uid, alice.gid, fct.conf["tls_key_file"])
    assert c.cmd("STAT").startswith(b"+OK 1 ")
    assert c.cmd("QUIT").startswith(b"+OK")
    assert "pop3session[%d]: session: user=<alice>" % session in fct.log()


def test_session_program_missing(fct, pop3):
    fct.write_conf(pop3_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: x\n\nbody\n")
    os.unlink(fct.program("pop3session"))
    c = Raw(pop3.port)
    r = c.login("alice")
    assert r.startswith(b"-ERR [SYS/TEMP]"), r
    assert c.eof()
    assert "pop3session" in fct.log()
    assert len(fct.maildir_files("alice", "new")) == 1


def test_split_without_root(fct, pop3):
    """Whoever runs it, a login gives three processes."""
    fct.write_conf(pop3_plaintext_login="yes")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK")
    (monitor,) = [p for p in pop3.plain.pids() if H.alive(p)]
    assert len(H.children(monitor)) == 2
    c.cmd("QUIT")
