"""
imapd with real clients nobody here wrote: curl (imap:// with STARTTLS
required, imaps://: LIST, SEARCH, FETCH, APPEND), mbsync (isync: a full
two-way sync of a mailbox with folders, then changes on both sides and
another sync), mutt in batch mode (under a pseudo-terminal, as it insists
on one) copying, flagging and expunging, and pop3d and imapd reading
each other's changes to the same Maildir.
"""
import os
import poplib
import re
import shutil
import subprocess

from conftest import need_package
from imapd_fixtures import (PASSWORD, client, imap, put_message,  # noqa: F401
                            wire)
from pop3d_fixtures import Pop3dServer

import facteur_harness as H


def msg(subject, body=b"a body line\n.a dot line\n"):
    return (b"From: Carol <carol@example.test>\nTo: alice@example.test\n"
            b"Subject: " + subject + b"\nMessage-ID: <" + subject +
            b"@example.test>\n\n" + body)


def run(argv, env=None, timeout=120, cwd="/"):
    return subprocess.run(argv, capture_output=True, timeout=timeout,
                          env=H.base_env(env), cwd=cwd)


def curl(imap, url, *extra):
    path = need_package("curl")
    return run([path, "-sS", "--cacert", imap.ca, "-u",
                "alice:" + PASSWORD] + list(extra) + [url])


def test_curl(fct, imap):
    msgs = [msg(b"m%d" % i) for i in range(3)]
    for m in msgs:
        put_message(fct, "alice", m)
    base = "imaps://127.0.0.1:%d" % imap.sport
    r = curl(imap, base + "/")
    assert r.returncode == 0, r.stderr
    assert b'* LIST (\\HasNoChildren) "." "INBOX"' in r.stdout
    for i, m in enumerate(msgs):
        r = curl(imap, base + "/INBOX;UID=%d" % (i + 1))
        assert r.returncode == 0, r.stderr
        assert r.stdout == wire(m)
    r = curl(imap, "imap://127.0.0.1:%d/INBOX;UID=2;SECTION=TEXT"
             % imap.port, "--ssl-reqd")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"a body line\r\n.a dot line\r\n"
    r = curl(imap, base + "/INBOX?SUBJECT%20m1")
    assert r.stdout == b"* SEARCH 2\r\n"
    up = os.path.join(fct.root, "up.eml")
    with open(up, "wb") as f:
        f.write(b"Subject: uploaded\r\n\r\nby curl\r\n")
    r = curl(imap, base + "/INBOX", "-T", up)
    assert r.returncode == 0, r.stderr
    r = curl(imap, base + "/INBOX;UID=4")
    assert r.stdout == b"Subject: uploaded\r\n\r\nby curl\r\n"
    stored = [m for m in fct.messages("alice", "cur") if b"by curl" in m]
    assert stored == [b"Subject: uploaded\n\nby curl\n"]
    # without --ssl-reqd curl logs in in the clear: refused
    r = curl(imap, "imap://127.0.0.1:%d/INBOX;UID=1" % imap.port)
    assert r.returncode != 0


def mbsync_rc(fct, imap, local):
    rc = os.path.join(fct.root, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("IMAPAccount fct\nHost localhost\nPort %d\nUser alice\n"
                "Pass %s\nSSLType IMAPS\nCertificateFile %s\n\n"
                "IMAPStore remote\nAccount fct\n\n"
                "MaildirStore local\nPath %s/\nInbox %s/INBOX\n"
                "SubFolders Verbatim\n\n"
                "Channel ch\nFar :remote:\nNear :local:\nPatterns *\n"
                "Create Both\nExpunge Both\nSyncState *\n"
                % (imap.sport, PASSWORD, imap.ca, local, local))
    return rc


def local_msgs(d):
    out = {}
    for sub in ("cur", "new"):
        p = os.path.join(d, sub)
        for n in os.listdir(p) if os.path.isdir(p) else []:
            with open(os.path.join(p, n), "rb") as f:
                out[n] = f.read()
    return out


def subject_of(data):
    m = re.search(rb"^Subject: (.*?)\r?$", data, re.M)
    return m.group(1) if m else None


def test_mbsync_two_way(fct, imap):
    mbsync = need_package("isync", "mbsync")
    for i in range(3):
        put_message(fct, "alice", msg(b"inbox%d" % i))
    c = client(imap)
    c.create("Lists.dev")
    c.append("Lists.dev", "(\\Seen)", None, msg(b"dev0").replace(b"\n",
                                                                  b"\r\n"))
    c.logout()
    local = os.path.join(fct.root, "mbsync")
    os.mkdir(local)
    rc = mbsync_rc(fct, imap, local)
    r = run([mbsync, "-c", rc, "-a"], env={"HOME": fct.root})
    assert r.returncode == 0, (r.stdout, r.stderr)
    inbox = local_msgs(os.path.join(local, "INBOX"))
    assert sorted(subject_of(v) for v in inbox.values()) == \
        [b"inbox0", b"inbox1", b"inbox2"]
    dev = local_msgs(os.path.join(local, "Lists", "dev"))
    assert [subject_of(v) for v in dev.values()] == [b"dev0"]
    assert list(dev)[0].endswith(",S") or ":2,S" in list(dev)[0]
    for name in ("Sent", "Trash", "Drafts"):
        assert os.path.isdir(os.path.join(local, name))

    # changes on both sides
    # local: a new message in Lists/dev, flag inbox1 seen, delete inbox2
    newd = os.path.join(local, "Lists", "dev", "new")
    with open(os.path.join(newd, "1800000000.1_1.local"), "wb") as f:
        f.write(msg(b"from-mbsync"))
    d = os.path.join(local, "INBOX")
    for sub in ("cur", "new"):
        for n in os.listdir(os.path.join(d, sub)):
            with open(os.path.join(d, sub, n), "rb") as f:
                s = subject_of(f.read())
            base = n.split(":2,")[0]
            flags = n.split(":2,")[1] if ":2," in n else ""
            if s == b"inbox1":
                os.rename(os.path.join(d, sub, n), os.path.join(
                    d, "cur", base + ":2," + "".join(sorted(flags + "F"))))
            elif s == b"inbox2":
                os.rename(os.path.join(d, sub, n), os.path.join(
                    d, "cur", base + ":2," + "".join(sorted(flags + "T"))))
    # server: a delivery into INBOX, and a flag set over IMAP
    put_message(fct, "alice", msg(b"delivered-later"))
    c = client(imap)
    c.select("INBOX")
    typ, data = c.uid("SEARCH", None, "SUBJECT", "inbox0")
    c.uid("STORE", data[0].decode(), "+FLAGS", "(\\Answered)")
    c.logout()

    r = run([mbsync, "-c", rc, "-a"], env={"HOME": fct.root})
    assert r.returncode == 0, (r.stdout, r.stderr)
    # the server has local's changes
    c = client(imap)
    c.select("Lists.dev")
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = sorted(subject_of(x[1]) for x in data if isinstance(x, tuple))
    assert subjects == [b"dev0", b"from-mbsync"]
    c.select("INBOX")
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                        "(SUBJECT)])")
    got = {subject_of(x[1]): x[0] for x in data if isinstance(x, tuple)}
    assert sorted(got) == [b"delivered-later", b"inbox0", b"inbox1"]
    assert b"\\Flagged" in got[b"inbox1"]
    c.logout()
    # and the local side has the server's
    inbox = local_msgs(os.path.join(local, "INBOX"))
    by_subj = {subject_of(v): n for n, v in inbox.items()}
    assert sorted(by_subj) == [b"delivered-later", b"inbox0", b"inbox1"]
    assert "R" in by_subj[b"inbox0"].split(":2,")[1]
    # the server's Maildir holds each message once, with LF line ends
    cur = fct.messages("alice", "cur") + fct.messages("alice", "new")
    assert sorted(subject_of(m) for m in cur) == \
        [b"delivered-later", b"inbox0", b"inbox1"]
    assert all(b"\r\n" not in m for m in cur)


def test_mutt_batch(fct, imap):
    mutt = need_package("mutt")
    for i in range(3):
        put_message(fct, "alice", msg(b"mutt%d" % i))
    c = client(imap)
    c.create("Saved")
    c.logout()
    rc = os.path.join(fct.root, "muttrc")
    with open(rc, "w") as f:
        f.write("set imap_user=alice\nset imap_pass=%s\n"
                "set ssl_ca_certificates_file=%s\nset ssl_force_tls=yes\n"
                "set folder=imaps://localhost:%d/\nset spoolfile=+INBOX\n"
                "set header_cache=\nset message_cachedir=\nset move=no\n"
                "set delete=yes\nset confirmappend=no\nset mail_check=0\n"
                "set timeout=1\nset sort=date-sent\n"
                % (PASSWORD, imap.ca, imap.sport))
    keys = ("<search>~s mutt1<enter><save-message>=Saved<enter>"
            "<search>~s mutt2<enter><flag-message>"
            "<sync-mailbox><quit>")
    script = shutil.which("script")
    assert script, "script(1) (util-linux) is needed for mutt's terminal"
    r = run([script, "-qec", "%s -n -F %s -e 'push \"%s\"'"
             % (mutt, rc, keys), "/dev/null"],
            env={"TERM": "vt100", "HOME": fct.root}, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:]
    c = client(imap)
    c.select("Saved")
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [subject_of(x[1]) for x in data if isinstance(x, tuple)] == \
        [b"mutt1"]
    c.select("INBOX")
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                        "(SUBJECT)])")
    got = {subject_of(x[1]): x[0] for x in data if isinstance(x, tuple)}
    # saved = moved: mutt deleted it after the copy, and expunged it
    assert sorted(got) == [b"mutt0", b"mutt2"], got
    assert b"\\Flagged" in got[b"mutt2"]
    c.logout()
    flagged = [n for n in fct.maildir_files("alice", "cur")
               if n.endswith("F") or ":2,F" in n]
    assert len(flagged) == 1


def test_pop3d_and_imapd_share_the_maildir(fct, imap):
    fct.write_conf(pop3_plaintext_login="yes")
    pop = Pop3dServer(fct)
    try:
        put_message(fct, "alice", msg(b"delivered"))
        c = client(imap)
        c.append("INBOX", "(\\Seen)", None,
                 msg(b"appended").replace(b"\n", b"\r\n"))
        c.select("INBOX")
        c.store("1", "+FLAGS", "(\\Flagged)")
        c.logout()
        # POP3 sees both, as IMAP sends them
        p = poplib.POP3("127.0.0.1", pop.port, timeout=60)
        p.user("alice")
        p.pass_(PASSWORD)
        count, size = p.stat()
        assert count == 2
        bodies = [b"\r\n".join(p.retr(i + 1)[1]) + b"\r\n"
                  for i in range(count)]
        assert sorted(subject_of(b) for b in bodies) == [b"appended",
                                                          b"delivered"]
        assert wire(msg(b"appended")) in bodies
        # POP3 deletes one: IMAP sees it go
        idx = [subject_of(b) for b in bodies].index(b"delivered")
        p.dele(idx + 1)
        p.quit()
        c = client(imap)
        typ, data = c.select("INBOX")
        assert data == [b"1"]
        typ, data = c.fetch("1", "(UID FLAGS BODY.PEEK[HEADER.FIELDS "
                            "(SUBJECT)])")
        assert subject_of(data[0][1]) == b"appended"
        # APPEND gave it UID 1 before the delivered one was listed
        assert b"UID 1" in data[0][0]
        assert b"\\Seen" in data[0][0] and b"\\Flagged" in data[0][0]
        c.logout()
    finally:
        pop.close()
