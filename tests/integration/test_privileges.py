"""
Privilege separation on the queue path: queued runs as the queue user,
lspawn as root, deliver as the recipient; the queue is private to the
queue user; uid 0 and uids below first_valid_uid are never delivered to;
the set-uid enqueue does not trust a config file its caller controls.
"""
import os
import stat
import subprocess

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D


def send(fct, rcpts, user="alice"):
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, rcpts), user=user)
    assert r.returncode == 0, r.stderr
    return tag, data


@pytest.mark.root_only
def test_queued_runs_as_queue_user(fct):
    send(fct, [BOB])      # after some work, not only at start
    fct.wait_for_delivery("bob", 1)
    uids = H.proc_uids(fct.queued.pid)
    assert uids == (fct.queue_uid,) * 4, uids
    with open("/proc/%d/status" % fct.queued.pid) as f:
        gids = [line for line in f if line.startswith("Gid:")][0].split()[1:]
    assert all(int(g) == fct.queue_gid for g in gids), gids


@pytest.mark.root_only
def test_lspawn_runs_as_root(fct):
    pid = fct.lspawn_pid()
    assert H.proc_uids(pid) == (0, 0, 0, 0)


@pytest.mark.root_only
def test_deliver_runs_as_recipient(fct):
    tag, data = send(fct, [BOB, "carol@" + D])
    for u in ("bob", "carol"):
        fct.wait_for_tag(u, tag)
        files = fct.maildir_files(u)
        assert len(files) == 1
        st = os.stat(files[0])
        assert st.st_uid == fct.users[u].uid, (u, st.st_uid)
        assert not st.st_mode & 0o077, oct(st.st_mode)


@pytest.mark.root_only
def test_queue_modes_and_owner(fct):
    q = fct.queue
    for d in [q] + [os.path.join(q, s) for s in H.QUEUE_SUBDIRS +
                    ("corrupt", "free")]:
        st = os.stat(d)
        assert stat.S_ISDIR(st.st_mode), d
        assert stat.S_IMODE(st.st_mode) == 0o700, (d, oct(st.st_mode))
        assert (st.st_uid, st.st_gid) == (fct.queue_uid, fct.queue_gid), d
    st = os.stat(os.path.join(q, "trigger"))
    assert stat.S_ISFIFO(st.st_mode) and st.st_uid == fct.queue_uid
    assert not st.st_mode & 0o007, oct(st.st_mode)


@pytest.mark.root_only
def test_message_files_private(fct):
    fct.stop_queued()
    tag, data = send(fct, [BOB], user="alice")
    files = fct.queue_files()
    assert len(files["msg"]) == 1 and len(files["env"]) == 1, files
    for sub in ("msg", "env"):
        p = os.path.join(fct.queue, sub, files[sub][0])
        st = os.stat(p)
        assert stat.S_IMODE(st.st_mode) == 0o600, (p, oct(st.st_mode))
        assert st.st_uid == fct.queue_uid, (p, st.st_uid)
    with open(os.path.join(fct.queue, "msg", files["msg"][0]), "rb") as f:
        assert f.read() == data
    fct.start_queued()
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()


@pytest.mark.root_only
def test_users_cannot_read_queue(fct):
    r = fct.run(["/bin/ls", os.path.join(fct.queue, "msg")], user="alice")
    assert r.returncode != 0


@pytest.mark.root_only
@pytest.mark.facteur(create_queue_dir=False)
def test_queued_creates_queue_dir(fct):
    st = os.stat(fct.queue)
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert st.st_uid == fct.queue_uid
    tag, data = send(fct, [BOB])
    fct.wait_for_tag("bob", tag)


@pytest.mark.facteur(extra_users={"zero": (0, 0)})
def test_uid_0_refused_and_bounced(fct):
    tag, data = send(fct, ["zero@" + D])
    fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    msgs = fct.messages("alice")
    assert len(msgs) == 1 and H.is_bounce(msgs[0]), msgs
    assert b"zero@" + D.encode() in msgs[0]
    assert not os.path.exists(os.path.join(fct.root, "home/zero/Maildir"))


@pytest.mark.facteur(extra_users={"low": (1, 1)})
def test_uid_below_first_valid_uid_refused(fct):
    tag, data = send(fct, ["low@" + D])
    fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    msgs = fct.messages("alice")
    assert len(msgs) == 1 and H.is_bounce(msgs[0]), msgs
    assert b"low@" + D.encode() in msgs[0]
    assert not os.path.exists(os.path.join(fct.root, "home/low/Maildir"))


def _user_conf(fct, mode, owner_uid):
    """A config that sends the queue into a directory alice owns."""
    fake = os.path.join(fct.users["alice"].home, "fakequeue")
    os.mkdir(fake)
    for s in H.QUEUE_SUBDIRS:
        os.mkdir(os.path.join(fake, s))
    path = os.path.join(fct.rundir, "evil.conf")
    with open(fct.conf_path) as f:
        text = f.read().replace(fct.queue, fake)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    a = fct.users["alice"]
    for dp, dn, fn in os.walk(fake):
        os.chown(dp, a.uid, a.gid)
        os.chmod(dp, 0o777)
    os.chown(path, owner_uid, a.gid)
    return path, fake


@pytest.mark.root_only
@pytest.mark.parametrize("how", ["owned_by_caller", "world_writable"])
def test_setuid_enqueue_distrusts_caller_config(fct, how):
    a = fct.users["alice"]
    if how == "owned_by_caller":
        path, fake = _user_conf(fct, 0o644, a.uid)
    else:
        path, fake = _user_conf(fct, 0o666, 0)
    tag, data = H.make_message()
    argv = [fct.program("enqueue")]
    mr, mw = os.pipe()
    er, ew = os.pipe()
    os.write(ew, H.envelope(ALICE, [BOB]))
    os.close(ew)
    os.write(mw, data)
    os.close(mw)
    p = subprocess.run(argv, stdin=mr, stdout=er, capture_output=False,
                       stderr=subprocess.PIPE, timeout=60,
                       env=H.base_env({"FACTEUR_CONF": path}), user=a.uid,
                       group=a.gid, extra_groups=[])
    os.close(mr)
    os.close(er)
    for s in H.QUEUE_SUBDIRS:
        left = os.listdir(os.path.join(fake, s))
        assert left == [], "set-uid enqueue wrote into %s/%s: %s" % (
            fake, s, left)
    if p.returncode == 0:
        # accepted: then it must have used the real configuration
        fct.wait_for_tag("bob", tag)
