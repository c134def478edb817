"""
imapd's three processes as root: the monitor stays root and holds no
client descriptor, the login process runs as facteur-login chrooted to
login_chroot, the session as the mailbox owner, running
program_dir/imapsession, which maps no OpenSSL and no PAM; the login
process cannot open the Maildir and the session cannot open the private
key (tried as their uids); uid 0 and uids below first_valid_uid never get
a session; a missing imapsession is a clean BYE.
"""
import os
import pwd

import pytest

import facteur_harness as H
from imapd_fixtures import (LOGIN_USER, Raw, imap,  # noqa: F401
                            put_message)
from test_pop3d_privileges import can_open, three_processes


def logged_in(imap, user="alice"):
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    untagged, tagged = r.login(user)
    return r, tagged


@pytest.mark.root_only
def test_process_identities(fct, imap):
    name = put_message(fct, "alice", b"Subject: x\n\nbody\n", sub="cur")
    r, tagged = logged_in(imap)
    assert tagged.startswith(b"L OK")
    r.cmd("SELECT INBOX")
    (monitor,) = [p for p in imap.tls.pids() if H.alive(p)]
    login, session = three_processes(fct, monitor)
    login_pw = pwd.getpwnam(LOGIN_USER)
    alice = fct.user("alice")
    key = fct.conf["tls_key_file"]
    assert os.readlink("/proc/%d/exe" % session) == \
        fct.program("imapsession")
    assert [os.readlink("/proc/%d/fd/%d" % (monitor, fd))
            for fd in (0, 1)] == ["/dev/null"] * 2

    # the session holds the relay, its log and what it opened under the
    # home; nothing of the monitor's or the login process's
    for n in os.listdir("/proc/%d/fd" % session):
        t = os.readlink("/proc/%d/fd/%s" % (session, n))
        if n in ("0", "1"):
            assert t.startswith("socket:")
        elif n != "2":
            assert t.startswith(alice.home) or t == "anon_inode:inotify" \
                or t.startswith("socket:") and n == "3", (n, t)
    # the session maps no TLS, PAM or crypt library
    with open("/proc/%d/maps" % session) as f:
        maps = f.read()
    for lib in ("libssl", "libcrypto", "libpam", "libcrypt"):
        assert lib not in maps, lib
    with open("/proc/%d/status" % session) as f:
        groups = [ln.split()[1:] for ln in f if ln.startswith("Groups:")]
    assert groups == [[]] or groups == [[str(alice.gid)]], groups

    # what each could open, tried with their ids
    msg = os.path.join(fct.maildir("alice", "cur"), name)
    assert not can_open(login_pw.pw_uid, login_pw.pw_gid, msg)
    assert not can_open(alice.uid, alice.gid, key)
    assert can_open(alice.uid, alice.gid, msg)
    # the session's files are the owner's
    st = os.stat(os.path.join(alice.home, "Maildir", "facteur-uidlist"))
    assert (st.st_uid, st.st_mode & 0o777) == (alice.uid, 0o600)
    r.cmd("LOGOUT")


@pytest.mark.root_only
@pytest.mark.facteur(extra_users={"zero": (0, 0), "low": (10, 10)})
def test_low_uids_refused(fct, imap):
    for u in ("zero", "low"):
        os.makedirs(os.path.join(fct.home, u, "Maildir", "cur"),
                    exist_ok=True)
        r, tagged = logged_in(imap, u)
        assert tagged.startswith(b"L NO [AUTHENTICATIONFAILED]"), (u, tagged)
        r.close()


def test_session_program_missing(fct, imap):
    put_message(fct, "alice", b"Subject: x\n\nbody\n")
    os.unlink(fct.program("imapsession"))
    r = Raw(imap.sport, tls=True, ca=imap.ca)
    r.send(b"L LOGIN alice secret-x\r\n")
    assert r.line() == b"* BYE [UNAVAILABLE] cannot start the session"
    assert r.eof()
    assert "imapsession" in fct.log()
    assert len(fct.maildir_files("alice", "new")) == 1


def test_split_without_root(fct, imap):
    """Whoever runs it, a login gives three processes."""
    r, tagged = logged_in(imap)
    assert tagged.startswith(b"L OK")
    (monitor,) = [p for p in imap.tls.pids() if H.alive(p)]
    assert len(H.children(monitor)) == 2
    r.cmd("LOGOUT")


def test_session_checks_the_preamble(fct):
    """What the login process sends before relaying is checked as client
    input: a bad tag (or no preamble) ends the session before it opens a
    mailbox."""
    alice = fct.user("alice")
    md = os.path.join(alice.home, "Maildir")
    before = sorted(os.listdir(md))
    for pre in (b"FACTEUR-LOGIN a b\r\n", b"FACTEUR-LOGIN \r\n",
                b"LOGIN x\r\n", b"FACTEUR-LOGIN a+\x00\r\n", b""):
        r = fct.run([fct.program("imapsession"), "-d", "-e", "5", "-t", "5",
                     "-l", "1024", "-L", "1024", "-A", "4096", "--",
                     "alice", alice.home, "Maildir"],
                    data=pre + b"a SELECT INBOX\r\n", user="alice")
        assert r.returncode == 1, (pre, r.returncode)
        assert r.stdout == b"", (pre, r.stdout)
        assert b"preamble" in r.stderr, (pre, r.stderr)
    assert sorted(os.listdir(md)) == before
