"""
The privilege shape of remote delivery, checked as root while an SMTP
client process holds a connection in the middle of a delivery (the peer
sits on its reply to the final dot):

  - rspawn and the client run as smtp_user (every uid, gid, no other
    group, no capability), chrooted to the empty smtp_chroot;
  - the client's descriptors are its socket to rspawn, its connection,
    the one message it delivers (read-only) and the log: not the queue,
    not smtpd's key, not the users table;
  - smtp_user cannot open the queue's files (they are facteur-queue's,
    0700), the relay password file or the users table (root's, 0600),
    and in the chroot their paths do not even exist;
  - rspawn is not dumpable, so a client (same uid) cannot read its
    memory; the client's memory holds its own destination's relay
    password, not the other destination's that rspawn holds.
"""
import os
import re
import stat

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import (Peer, make_cert, remote_instance, send,
                             server_tls)

pytestmark = pytest.mark.root_only

MINE = b"alpha-secret-for-this-relay"
OTHERS = b"beta-secret-of-another-relay"


def proc_of(f, comm):
    for pid in H.descendants(f.queued.pid):
        if H.proc_comm(pid) == comm:
            return pid
    return None


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as fh:
        for ln in fh:
            k, _, v = ln.partition(":")
            out[k] = v.split()
    return out


def memory_has(pid, needle):
    """Whether needle is in any readable mapping of pid (root reads it
    through /proc/pid/mem, whatever the process's dumpable flag)."""
    found = False
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for ln in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", ln)
            if not m:
                continue
            lo, hi = int(m.group(1), 16), int(m.group(2), 16)
            if hi - lo > 256 * 1024 * 1024:
                continue
            try:
                mem.seek(lo)
                if needle in mem.read(hi - lo):
                    found = True
            except (OSError, ValueError, OverflowError):
                continue
    return found


def test_the_client_process(request, tmp_path):
    crt, key = make_cert(str(tmp_path), "relay.test", ("relay.test",))
    p = Peer(tls=server_tls(crt, key), auth=("fred", MINE.decode()),
             data_delay=15)
    f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                        conf={"smtp_tls_security_level": "encrypt",
                              "smtp_data_done_timeout": "60s"})
    try:
        f.stop_queued()
        path = os.path.join(f.etc, "relay_passwords")
        with open(path, "w") as fh:
            fh.write("[127.0.0.1]:%d fred:%s\n" % (p.port, MINE.decode()))
            fh.write("[other.example]:587 bob:%s\n" % OTHERS.decode())
        os.chmod(path, 0o600)
        f.write_conf(smtp_sasl_password_file=path)
        f.start_queued()
        send(f, ["a@remote.test"])
        # the client is now waiting for the reply to its final dot
        H.wait_until(lambda: p.auths and p.mail_options, 30,
                     "the client to authenticate and send MAIL")
        client = H.wait_until(lambda: proc_of(f, "smtp"), 10, "the client")
        rspawn = proc_of(f, "rspawn")
        assert rspawn is not None
        ru = H.ensure_user(H.REMOTE_USER)
        for pid in (rspawn, client):
            st = status(pid)
            assert st["Uid"] == [str(ru.pw_uid)] * 4, (pid, st["Uid"])
            assert st["Gid"] == [str(ru.pw_gid)] * 4, (pid, st["Gid"])
            assert st["Groups"] in ([str(ru.pw_gid)], []), st["Groups"]
            assert int(st["CapEff"][0], 16) == 0
            assert os.readlink("/proc/%d/root" % pid) == f.empty
            assert os.listdir("/proc/%d/root/" % pid) == []
        # not dumpable: its /proc files are root's, and another process of
        # the same uid cannot attach to it or read its memory
        assert os.stat("/proc/%d/mem" % rspawn).st_uid == 0
        assert os.stat("/proc/%d/mem" % client).st_uid == 0
        fds = {}
        for n in os.listdir("/proc/%d/fd" % client):
            target = os.readlink("/proc/%d/fd/%s" % (client, n))
            with open("/proc/%d/fdinfo/%s" % (client, n)) as fh:
                flags = int(re.search(r"flags:\s+(\d+)", fh.read())
                            .group(1), 8)
            fds[int(n)] = (target, flags)
        files = {t for t, _ in fds.values() if not t.startswith("socket:")}
        msg = [t for t in files if t.startswith(f.queue + "/msg/")]
        assert len(msg) == 1, fds
        assert [fl & os.O_ACCMODE for t, fl in fds.values()
                if t == msg[0]] == [os.O_RDONLY]
        assert files - set(msg) <= {f.log_path}, files
        assert sum(t.startswith("socket:") for t, _ in fds.values()) == 2
        # smtp_user cannot open the queue, and in the chroot there is none
        qid = os.path.basename(msg[0])
        # the users table as INSTALL has it (the harness writes it 0644)
        os.chmod(f.users_path, 0o600)
        r = os.fork()
        if r == 0:
            code = 0
            try:
                os.setgroups([])
                os.setgid(ru.pw_gid)
                os.setuid(ru.pw_uid)
                # the queue's files, the relay passwords (rspawn read
                # them as root), the users table
                for q in (msg[0], os.path.join(f.queue, "env", qid),
                          path, f.users_path):
                    try:
                        open(q, "rb").close()
                        code |= 1
                    except PermissionError:
                        pass
                    except FileNotFoundError:
                        pass
                try:
                    os.listdir(f.queue)
                    code |= 2
                except PermissionError:
                    pass
            finally:
                os._exit(code)
        _, st = os.waitpid(r, 0)
        assert os.WEXITSTATUS(st) == 0
        st_q = os.stat(f.queue)
        assert stat.S_IMODE(st_q.st_mode) == 0o700 and \
            st_q.st_uid != ru.pw_uid
        # memory: its own credential is there, the other one is not
        assert memory_has(client, MINE)
        assert not memory_has(client, OTHERS)
        assert memory_has(rspawn, OTHERS)
        p.wait_messages(1, timeout=60)
    finally:
        conftest_finish(request, f)
        p.stop()
