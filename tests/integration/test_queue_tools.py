"""
The queue tools through queued's control socket: facteurctl queue list
(mailq's form and postqueue -j's JSON), show, flush, hold, release,
delete, requeue; mailq and sendmail -bp and -q.  Each command is run by
root and by ordinary users (alice and carol as their own uids): a user
sees, flushes and deletes only the messages it submitted, and may not
hold, release or requeue; queued tells users apart from the socket
(SO_PEERCRED), never from what the client says.  The socket itself takes
hostile frames and idle clients without stopping queued.

Messages are kept waiting by making bob's Maildir unwritable (his
deliveries are deferred; queue_retry_min is an hour, so nothing is
retried unless a test flushes).
"""
import json
import os
import re
import socket
import subprocess
import time

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D

pytestmark = pytest.mark.facteur(conf={"queue_retry_min": "1h",
                                       "queue_retry_max": "2h",
                                       "delay_warning_time": "0"})

needs_root = pytest.mark.skipif(not H.IS_ROOT,
                                reason="other users' identities need root")


def ctl(fct, *args, user=None):
    return fct.run([fct.program("facteurctl"), "-C", fct.conf_path] +
                   list(args), user=user)


def block_bob(fct):
    os.chmod(fct.maildir("bob", "tmp"), 0o500)


def unblock_bob(fct):
    os.chmod(fct.maildir("bob", "tmp"), 0o700)


def deferred(fct, qid):
    return re.search(r"%s: to=<%s>.*status=deferred" % (qid, re.escape(BOB)),
                     fct.log()) is not None


def submit(fct, user, sender, rcpts=(BOB,)):
    """sendmail as user; waits for the first attempt to be deferred;
    returns (queue id, tag)."""
    tag, data = H.make_message(sender=sender)
    before = set(fct.queue_files()["env"])
    r = fct.sendmail(["-f", sender] + list(rcpts), data, user=user)
    assert r.returncode == 0, r.stderr
    qid = H.wait_until(lambda: (set(fct.queue_files()["env"]) - before or
                                {None}).pop(), 30, "the new message")
    H.wait_until(lambda: deferred(fct, qid), 30, "its first deferral")
    return qid, tag


def mailq_lines(out):
    return out.decode().splitlines()


def msg_line(out, qid):
    for ln in mailq_lines(out):
        if ln.startswith(qid):
            return ln
    return None


@needs_root
def test_list_mailq_form_root_and_users(fct):
    block_bob(fct)
    qa, _ = submit(fct, "alice", ALICE)
    qc, _ = submit(fct, "carol", CAROL)
    for argv in (["queue", "list"],):
        r = ctl(fct, *argv, user=None)
        assert r.returncode == 0, r.stderr
        lines = mailq_lines(r.stdout)
        assert lines[0].startswith("-Queue ID-") and \
            "-Sender/Recipient-" in lines[0]
        for q, s in ((qa, ALICE), (qc, CAROL)):
            ln = msg_line(r.stdout, q)
            assert ln is not None, r.stdout
            # ID, blank (deferred: neither * nor !), size, date, sender
            m = re.match(r"^(\S{14})(.)\s+(\d+) (\w{3} \w{3} [ \d]\d "
                         r"\d\d:\d\d:\d\d)\s+(\S+)$", ln)
            assert m, ln
            assert m.group(1) == q and m.group(2) == " " and \
                m.group(5) == s, ln
            i = lines.index(ln)
            # the reason of the last attempt, then the recipient
            assert lines[i + 1].startswith("(") and \
                lines[i + 1].endswith(")"), lines[i + 1]
            # as Postfix's: the reason without its status code
            assert lines[i + 1].startswith("(cannot deliver to maildir "), \
                lines[i + 1]
            assert lines[i + 2] == " " * 46 + BOB
        assert lines[-1] == "-- %d Kbytes in 2 Requests." % (
            (sum(int(msg_line(r.stdout, q).split()[1]) for q in (qa, qc))
             + 1023) // 1024), lines[-1]
    # mailq (sendmail's other name) and sendmail -bp print the same
    for prog, args in (("mailq", []), ("sendmail", ["-bp"])):
        r = fct.sendmail(args, b"", user=None, prog=prog)
        assert r.returncode == 0, r.stderr
        assert msg_line(r.stdout, qa) and msg_line(r.stdout, qc)
    # an ordinary user sees its own message only, whichever tool
    for user, mine, other in (("alice", qa, qc), ("carol", qc, qa)):
        r = ctl(fct, "queue", "list", user=user)
        assert r.returncode == 0, r.stderr
        assert msg_line(r.stdout, mine) and not msg_line(r.stdout, other)
        assert r.stdout.decode().endswith("in 1 Request.\n")
        r = fct.sendmail([], b"", user=user, prog="mailq")
        assert r.returncode == 0, r.stderr
        assert msg_line(r.stdout, mine) and not msg_line(r.stdout, other)
    # bob has none
    r = fct.sendmail(["-bp"], b"", user="bob")
    assert r.stdout == b"Mail queue is empty\n", r.stdout


@needs_root
def test_list_json(fct):
    block_bob(fct)
    qa, _ = submit(fct, "alice", ALICE)
    r = ctl(fct, "queue", "list", "--json")
    assert r.returncode == 0, r.stderr
    objs = [json.loads(ln) for ln in r.stdout.decode().splitlines()]
    assert len(objs) == 1
    o = objs[0]
    assert set(o) == {"queue_name", "queue_id", "arrival_time",
                      "message_size", "forced_expire", "sender",
                      "recipients"}
    assert o["queue_id"] == qa and o["queue_name"] == "deferred"
    assert o["sender"] == ALICE and o["message_size"] > 0
    assert abs(o["arrival_time"] - time.time()) < 120
    assert o["recipients"][0]["address"] == BOB
    assert o["recipients"][0]["delay_reason"].startswith(
        "cannot deliver to maildir ")
    # held: queue_name hold
    assert ctl(fct, "queue", "hold", qa).returncode == 0
    o = json.loads(ctl(fct, "queue", "list", "--json").stdout)
    assert o["queue_name"] == "hold"
    # carol sees nothing of alice's
    r = ctl(fct, "queue", "list", "--json", user="carol")
    assert r.returncode == 0 and r.stdout == b""


@needs_root
def test_show(fct):
    block_bob(fct)
    qa, tag = submit(fct, "alice", ALICE)
    for user in (None, "alice"):
        r = ctl(fct, "queue", "show", qa, user=user)
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        assert "Queue ID:     %s" % qa in out
        assert "Sender:       <%s>" % ALICE in out
        assert re.search(r"Submitted:\s+local, uid %d" %
                         fct.users["alice"].uid, out), out
        assert "Envelope recipients:\n  <%s>" % BOB in out
        assert re.search(r"<%s>: deferred, 1 attempt, next " % re.escape(BOB),
                         out), out
        assert "X-Facteur-Test: %s" % tag in out          # the header
        assert "hello" not in out                          # not the body
    # another user: as if it did not exist
    r = ctl(fct, "queue", "show", qa, user="carol")
    assert r.returncode == 1
    assert b"no such message" in r.stderr
    assert ctl(fct, "queue", "show", "0000000000ZZZZ").returncode == 1
    assert ctl(fct, "queue", "show", "not-an-id").returncode == 64


@needs_root
def test_hold_release(fct):
    block_bob(fct)
    qa, tag = submit(fct, "alice", ALICE)
    # users may not hold, release or requeue, not even their own
    for verb in ("hold", "release", "requeue"):
        r = ctl(fct, "queue", verb, qa, user="alice")
        assert r.returncode == 1, (verb, r.stderr)
        assert b"only root and the queue's owner" in r.stderr
    r = ctl(fct, "queue", "hold", qa)
    assert r.returncode == 0, r.stderr
    assert "%s: held" % qa in r.stdout.decode()
    assert re.search(r"%s: placed on hold" % qa, fct.log())
    assert msg_line(ctl(fct, "queue", "list").stdout, qa)[14] == "!"
    # the hold is in state/<id>: it outlives queued
    fct.stop_queued()
    with open(os.path.join(fct.queue, "state", qa), "rb") as f:
        assert b"\0H" in f.read()
    fct.start_queued()
    # the socket is bound again a moment after start
    r = H.wait_until(lambda: (lambda x: x if x.returncode == 0 else None)(
        ctl(fct, "queue", "list")), 30, "queued's control socket")
    assert msg_line(r.stdout, qa)[14] == "!"
    # a flush does not touch it, nor does a working Maildir
    unblock_bob(fct)
    assert ctl(fct, "queue", "flush").returncode == 0
    time.sleep(1)
    assert fct.messages("bob") == []
    assert len(fct.queue_files()["env"]) == 1
    r = ctl(fct, "queue", "release", "ALL")
    assert r.returncode == 0, r.stderr
    assert "1 message(s) released" in r.stdout.decode()
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert re.search(r"%s: released from hold" % qa, fct.log())


@needs_root
def test_queue_owner_is_an_administrator(fct):
    """The queue's owner (queue_user), as root: sees every message, and
    may hold and release them, by ID or ALL."""
    block_bob(fct)
    qa, _ = submit(fct, "alice", ALICE)
    qc, _ = submit(fct, "carol", CAROL)

    def as_owner(*args):
        return subprocess.run([fct.program("facteurctl"), "-C",
                               fct.conf_path] + list(args),
                              capture_output=True, cwd="/",
                              user=fct.queue_uid, group=fct.queue_gid,
                              extra_groups=[],
                              env={"PATH": "/usr/bin:/bin"}, timeout=60)
    r = as_owner("queue", "list")
    assert r.returncode == 0, r.stderr
    assert msg_line(r.stdout, qa) and msg_line(r.stdout, qc), r.stdout
    r = as_owner("queue", "hold", "ALL")
    assert r.returncode == 0 and b"2 message(s) held" in r.stdout, r
    assert re.search(r"control: uid %d asked HOLD ALL" % fct.queue_uid,
                     fct.log())
    out = ctl(fct, "queue", "list").stdout
    assert msg_line(out, qa)[14] == "!" and msg_line(out, qc)[14] == "!"
    r = as_owner("queue", "release", qc)
    assert r.returncode == 0 and b"%s: released" % qc.encode() in r.stdout
    out = ctl(fct, "queue", "list").stdout
    assert msg_line(out, qa)[14] == "!" and msg_line(out, qc)[14] == " "
    r = as_owner("queue", "show", qa)
    assert r.returncode == 0 and b"Sender:       <%s>" % ALICE.encode() \
        in r.stdout


@needs_root
def test_delete(fct):
    block_bob(fct)
    qa, _ = submit(fct, "alice", ALICE)
    qc, _ = submit(fct, "carol", CAROL)
    # alice cannot delete carol's, nor see that it exists
    r = ctl(fct, "queue", "delete", qc, user="alice")
    assert r.returncode == 1 and b"no such message" in r.stderr
    assert qc in fct.queue_files()["env"]
    # her own: gone, logged with her uid
    r = ctl(fct, "queue", "delete", qa, user="alice")
    assert r.returncode == 0, r.stderr
    H.wait_until(lambda: qa not in fct.queue_files()["env"] and
                 qa not in fct.queue_files()["msg"], 10, "the files gone")
    assert re.search(r"%s: deleted by uid %d" % (qa, fct.users["alice"].uid),
                     fct.log())
    assert re.search(r"%s: removed \(deleted\)" % qa, fct.log())
    # "ALL" by a user: only its own
    assert ctl(fct, "queue", "delete", "ALL", user="alice").returncode == 0
    assert qc in fct.queue_files()["env"]
    # by root: everything; no bounce goes to the senders
    r = ctl(fct, "queue", "delete", "ALL")
    assert r.returncode == 0 and b"1 message(s) deleted" in r.stdout
    fct.assert_queue_empty()
    time.sleep(0.5)
    assert fct.messages("alice") == [] and fct.messages("carol") == []


@needs_root
def test_flush(fct):
    block_bob(fct)
    qa, ta = submit(fct, "alice", ALICE)
    qc, tc = submit(fct, "carol", CAROL)
    unblock_bob(fct)
    # alice's message by its ID, flushed by carol: as if it did not exist
    r = ctl(fct, "queue", "flush", qa, user="carol")
    assert r.returncode == 1 and b"no such message" in r.stderr, r
    r = fct.sendmail(["-qI" + qa], b"", user="carol")
    assert r.returncode != 0 and b"no such message" in r.stderr, r
    time.sleep(0.5)
    assert fct.messages("bob") == []
    # carol's flush: her own message only (queue_retry_min is an hour)
    r = fct.sendmail(["-q"], b"", user="carol")
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tc)
    time.sleep(0.5)
    assert qa in fct.queue_files()["env"]
    # one message by ID, as root
    r = ctl(fct, "queue", "flush", qa)
    assert r.returncode == 0 and b"flushed" in r.stdout, r.stdout
    fct.wait_for_tag("bob", ta)
    fct.assert_queue_empty()
    # by domain, and sendmail -qR / -qI
    block_bob(fct)
    qb, tb = submit(fct, "alice", ALICE)
    unblock_bob(fct)
    assert ctl(fct, "queue", "flush", "elsewhere.example").returncode == 0
    time.sleep(0.5)
    assert qb in fct.queue_files()["env"]
    r = fct.sendmail(["-qR" + D.upper()], b"", user=None)
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tb)
    block_bob(fct)
    qd, td = submit(fct, "alice", ALICE)
    unblock_bob(fct)
    assert fct.sendmail(["-qI" + qd], b"", user="alice").returncode == 0
    fct.wait_for_tag("bob", td)
    assert fct.sendmail(["-qXyz"], b"", user=None).returncode == 64


@needs_root
def test_requeue_resolves_again(fct):
    """requeue: pending recipients are resolved again (the aliases as
    they are now) and tried at once; delivered ones are not repeated."""
    block_bob(fct)
    fct.write_aliases("postmaster: alice\nlist: bob, carol\n")
    tag, data = H.make_message()
    r = fct.sendmail(["-f", ALICE, "list@" + D], data, user="alice")
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("carol", tag)
    qid = fct.queue_files()["env"][0]
    H.wait_until(lambda: deferred(fct, qid), 30, "bob deferred")
    # the list changes: bob leaves, dave... is alice
    fct.write_aliases("postmaster: alice\nlist: alice, carol\n")
    fct.trigger()          # queued reads the aliases at its next scan
    time.sleep(1)
    r = ctl(fct, "queue", "requeue", qid)
    assert r.returncode == 0, r.stderr
    assert re.search(r"%s: requeued \(1 recipient\(s\) resolved again\)"
                     % qid, fct.log())
    fct.wait_for_tag("alice", tag)
    fct.assert_queue_empty()
    assert fct.count_tags(["carol"]).get(tag) == 1     # not twice
    assert fct.messages("bob") == []


@needs_root
def test_mailq_without_queued(fct):
    fct.stop_queued()
    r = fct.sendmail(["-bp"], b"", user="alice")
    assert r.returncode == 69
    assert b"cannot reach queued" in r.stderr
    r = ctl(fct, "queue", "list", user="alice")
    assert r.returncode == 69


# ---------------------------------------------------- the socket itself

def sock_path(fct):
    return os.path.join(fct.conf["control_dir"], "queued")


def netstring(fields):
    """A frame as lib/ipc/chan writes it: NUL-separated fields, and one
    more NUL when the last is empty."""
    p = b"\0".join(fields) + (b"\0" if fields[-1] == b"" else b"")
    return b"%d:%s," % (len(p), p)


def exchange(fct, data, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path(fct))
    out = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)      # a frame cut short ends with it
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (ConnectionResetError, BrokenPipeError):
        pass                            # queued closed on us: no answer
    s.close()
    return out


def test_socket_mode_and_owner(fct):
    st = os.stat(sock_path(fct))
    assert st.st_mode & 0o777 == 0o666
    assert st.st_uid == fct.queue_uid
    d = os.stat(fct.conf["control_dir"])
    assert d.st_mode & 0o022 == 0


@needs_root
@pytest.mark.parametrize("how", ["group-writable", "world-writable",
                                 "alice's", "a file in its place"])
def test_control_dir_others_could_swap_is_refused(fct, how):
    """queued binds its socket only in a control_dir of root's (or its
    own) that no one else may write, and never removes anything but a
    socket there: else a local user could put a socket of its own in
    queued's place, and root's facteurctl would tell it what it asks and
    believe its answers."""
    d = fct.conf["control_dir"]
    fct.stop_queued()
    os.unlink(sock_path(fct))
    if how == "group-writable":
        os.chmod(d, 0o775)
    elif how == "world-writable":
        os.chmod(d, 0o1777)
    elif how == "alice's":
        os.chown(d, fct.users["alice"].uid, fct.users["alice"].gid)
    else:
        with open(sock_path(fct), "w") as f:
            f.write("not a socket\n")
    fct.start_queued(wait=False)
    want = ("is not a socket; no control socket" if how.startswith("a file")
            else "not a directory of root's that only its owner may write")
    H.wait_until(lambda: want in fct.log(), 30, "queued's refusal")
    if how.startswith("a file"):
        with open(sock_path(fct)) as f:
            assert f.read() == "not a socket\n"
    else:
        assert not os.path.exists(sock_path(fct))
    r = ctl(fct, "queue", "list")
    assert r.returncode == 69, r
    # queued goes on delivering without it
    tag, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    fct.wait_for_tag("bob", tag)


def test_hostile_frames(fct):
    """Every malformed request ends the connection without an answer;
    queued goes on serving."""
    bad = [
        b"garbage",
        b"99999999999:x,",
        b"3:abc",                                   # cut short
        netstring([b"LIST", b"ALL"]),               # two fields
        netstring([b"LIST", b"ALL", b"", b""]),     # four
        netstring([b"LIST", b"ID", b"0123456789ABCD"]),   # wrong target
        netstring([b"SHOW", b"ALL", b""]),
        netstring([b"DELETE", b"ID", b"../../etc/passwd"]),
        netstring([b"FLUSH", b"DOMAIN", b"a b"]),
        netstring([b"FLUSH", b"DOMAIN", b"x" * 300]),
        netstring([b"NUKE", b"ALL", b""]),
        netstring([b"list", b"ALL", b""]),          # verbs are upper case
        b"%d:%s," % (9000, b"A" * 9000),            # over the limit
    ]
    for data in bad:
        assert exchange(fct, data) == b"", data
    # two requests in one connection: the first is answered, no more
    out = exchange(fct, netstring([b"LIST", b"ALL", b""]) * 2)
    assert out == b"14:K\x000 message(s),", out
    r = ctl(fct, "queue", "list")
    assert r.returncode == 0 and r.stdout == b"Mail queue is empty\n"
    assert fct.queued.poll() is None
    assert re.search(r"control: malformed request from uid \d+", fct.log())


def test_idle_clients_do_not_stop_queued(fct):
    """Idle connections hold a slot each (QCTL_CLIENTS_MAX = 16); one
    more is closed at once; a request is still answered while some wait,
    and a mail is still delivered."""
    idle = []
    for _ in range(15):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path(fct))
        idle.append(s)
    r = ctl(fct, "queue", "list")
    assert r.returncode == 0, r.stderr
    idle.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    idle[-1].connect(sock_path(fct))
    # the 17th: closed at once
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path(fct))
    assert s.recv(10) == b""
    s.close()
    tag, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    fct.wait_for_tag("bob", tag)
    for s in idle:
        s.close()
    H.wait_until(lambda: ctl(fct, "queue", "list").returncode == 0, 10,
                 "a slot again")
