"""
A chroot someone else can write to (issue 15, finding 7).  Nothing checked
that smtpd_chroot and login_chroot belong to root and are writable by no
one else: a local user who owns the directory, or can write to it or to
a directory above it, could put files, device nodes or links into the
jail of every session, or swap the directory for one of their own.  Now
each is checked, component by component, before any chroot
(priv_chroot_check, as OpenSSH checks ChrootDirectory): a per-connection
program refuses to serve, the master refuses to start and refuses a
reload, and `facteurctl check` names the directory and the reason.

Each case is set up as a local user would have it: the directory given
to a user, opened to everyone, or placed in a user's directory.
"""
import os
import signal
import socket
import subprocess

import pytest

import facteur_harness as H
from imapd_fixtures import Imap, imap_conf
from pop3d_fixtures import Pop3dServer, Raw, pop3_conf
from smtpd_fixtures import Client, SmtpdServer, smtpd_conf
from test_master import CHECK_TIMEOUT, Master, free_port

pytestmark = pytest.mark.root_only


def unfit_dirs(fct):
    """(directory, reason in the log) for each way a chroot is unfit."""
    alice = fct.user("alice")
    owned = os.path.join(fct.root, "jail-alice")
    os.mkdir(owned, 0o755)
    os.chown(owned, alice.uid, alice.gid)
    open_ = os.path.join(fct.root, "jail-open")
    os.mkdir(open_, 0o755)
    os.chmod(open_, 0o777)
    group = os.path.join(fct.root, "jail-group")
    os.mkdir(group, 0o755)
    os.chmod(group, 0o775)
    # root's own directory, but inside alice's: she can rename it away
    # and put a directory of hers in its place
    home = os.path.join(fct.root, "alice-dir")
    os.mkdir(home, 0o755)
    os.chown(home, alice.uid, alice.gid)
    inside = os.path.join(home, "empty")
    os.mkdir(inside, 0o755)
    return [(owned, "%s is owned by uid %d, not root" % (owned, alice.uid)),
            (open_, "%s is writable by others (mode 0777)" % open_),
            (group, "%s is writable by its group (mode 0775)" % group),
            (inside, "%s is owned by uid %d, not root" % (home, alice.uid))]


@pytest.mark.facteur(start=False)
def test_smtpd_refuses_an_unfit_chroot(fct):
    smtpd_conf(fct)
    for d, why in unfit_dirs(fct):
        fct.write_conf(smtpd_chroot=d)
        srv = SmtpdServer(fct)
        try:
            c = Client(srv.port)
            assert c.greeting[0] == 421, (d, c.greeting)
            assert c.eof()
            c.close()
        finally:
            srv.close()
        assert "smtpd_chroot is unfit for a chroot: %s; refusing to " \
            "start" % why in fct.log(), why
    # and a fit one serves
    fct.write_conf(smtpd_chroot=os.path.join(fct.root, "empty"))
    srv = SmtpdServer(fct)
    try:
        c = Client(srv.port)
        assert c.greeting[0] == 220
        c.close()
    finally:
        srv.close()


@pytest.mark.facteur(start=False)
def test_pop3d_refuses_an_unfit_login_chroot(fct):
    pop3_conf(fct)
    for d, why in unfit_dirs(fct):
        fct.write_conf(login_chroot=d)
        srv = Pop3dServer(fct)
        try:
            c = Raw(srv.port)
            assert c.greeting == b"-ERR [SYS/TEMP] configuration error"
            assert c.eof()
            c.close()
        finally:
            srv.close()
        assert "login_chroot is unfit for a chroot: %s; refusing to " \
            "start" % why in fct.log(), why


@pytest.mark.facteur(start=False)
def test_imapd_refuses_an_unfit_login_chroot(fct):
    """imapd shares pop3d's login_chroot and its check
    (login_split_check): IMAP and IMAPS both refuse to serve."""
    imap_conf(fct)
    for d, why in unfit_dirs(fct):
        fct.write_conf(login_chroot=d)
        srv = Imap(fct)
        try:
            c = Raw(srv.port)
            assert c.greeting == b"* BYE [UNAVAILABLE] configuration error"
            assert c.eof()
            c.close()
            # IMAPS: no TLS is started, the connection just ends
            with socket.create_connection(("127.0.0.1", srv.sport),
                                          timeout=30) as s:
                assert s.recv(1) == b""
        finally:
            srv.close()
        assert fct.log().count("login_chroot is unfit for a chroot: %s; "
                               "refusing to start" % why) == 2, why
    # and a fit one serves
    fct.write_conf(login_chroot=os.path.join(fct.root, "empty"))
    srv = Imap(fct)
    try:
        c = Raw(srv.port)
        assert c.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1")
        c.close()
    finally:
        srv.close()


@pytest.mark.facteur(start=False)
def test_master_refuses_to_start_or_reload_on_an_unfit_chroot(fct):
    dirs = unfit_dirs(fct)
    bad, why = dirs[1]
    smtpd_conf(fct)
    port = free_port()
    fct.write_conf(smtp_listen="127.0.0.1:%d" % port, smtpd_chroot=bad)
    r = subprocess.run([fct.program("facteur"), "-d", "-C", fct.conf_path],
                       capture_output=True, text=True, timeout=60,
                       env=H.base_env(), stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "smtpd_chroot %s is unfit for a chroot: %s" % (bad, why) \
        in r.stderr, r.stderr
    # facteurctl check says the same
    r = subprocess.run([fct.program("facteurctl"), "-C", fct.conf_path,
                        "check"], capture_output=True, text=True,
                       timeout=60, env=H.base_env())
    assert r.returncode == 1
    assert "smtpd_chroot %s is unfit for a chroot" % bad in r.stderr

    # Started with a fit one, a reload to an unfit one is refused and
    # sessions go on in the fit one.
    good = os.path.join(fct.root, "empty")
    m = Master(fct, port=port, smtpd_chroot=good)
    try:
        fct.write_conf(smtpd_chroot=bad)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "keeping the running configuration"
                     in fct.log(), CHECK_TIMEOUT, "the refusal")
        c = Client(m.port)
        assert c.greeting[0] == 220
        assert c.code("EHLO client.test") == 250
        sess = [p for p in m.sessions() if H.proc_comm(p) == "smtpd"]
        assert sess and all(os.readlink("/proc/%d/root" % p) == good
                            for p in sess)
        c.close()
    finally:
        m.stop()
