"""
The SMTP client of the remote delivery in its seccomp sandbox (lib/sandbox,
role smtp-client; docs/architecture.md, "Sandboxes"): Seccomp: 2 and
NoNewPrivs: 1 once it has delivered (STARTTLS included), and a forbidden
call made by the client itself (harness_syscall.py) kills that client
with SIGSYS and nothing else: its request is deferred, a new client
delivers it at the retry, once.  In report mode the client names the
call before it dies.
"""
import threading

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import Peer, remote_instance, send, wait_log
from test_remote_tls import certs, server_tls  # noqa: F401


@pytest.fixture
def inject():
    why = H.syscall_injection_supported()
    if why:
        pytest.skip(why)


@pytest.fixture
def made(request):
    things = {"inst": [], "peer": []}
    yield things
    for i in things["inst"]:
        conftest_finish(request, i)
    for p in things["peer"]:
        p.stop()


def clients(f):
    return [p for p in H.descendants(f.queued.pid)
            if H.proc_comm(p) == "smtp"]


def traced(pid):
    with open("/proc/%d/status" % pid) as fh:
        for line in fh:
            if line.startswith("TracerPid:"):
                return int(line.split()[1]) != 0
    return False


def start(made, conf=None, peer=None):
    p = Peer(**(peer or {}))
    made["peer"].append(p)
    c = {"smtp_connection_cache_time": "60s", "queue_retry_min": "1s"}
    c.update(conf or {})
    f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port, conf=c)
    made["inst"].append(f)
    return f, p


@pytest.mark.root_only
def test_the_client_is_sandboxed_with_tls(made, certs):  # noqa: F811
    f, p = start(made, conf={"smtp_tls_security_level": "encrypt"},
                 peer={"tls": server_tls(*certs["self"])})
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["tls"] is True
    (c,) = clients(f)
    assert H.proc_sandbox(c) == (2, 1)
    # a second delivery over the same TLS connection, still inside
    send(f, ["b@remote.test"])
    p.wait_messages(2)
    assert clients(f) == [c] and p.connections == 1


@pytest.mark.root_only
@pytest.mark.parametrize("call", ["execve", "openat"])
def test_a_forbidden_call_kills_only_the_client(made, inject, call):
    f, p = start(made)
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    (c,) = clients(f)
    box = []
    f.expect_crash(c)
    f.expect_crash("SMTP client killed by signal 31")
    # made when the client takes its next request
    t = threading.Thread(target=lambda: box.append(
        H.make_syscall(c, call, at=("recvmsg",))))
    t.start()
    H.wait_until(lambda: traced(c), 30, "the tracer to attach")
    tag, _ = send(f, ["b@remote.test"])
    t.join(60)
    assert not t.is_alive()
    assert box and box[0] is not None and H.killed_by_sigsys(box[0]), box
    # deferred, then delivered by a new client at the retry, once
    p.wait_messages(2, timeout=60)
    wait_log(f, "status=sent", 2)
    deferred = wait_log(f, "status=deferred")
    assert "SMTP client" in deferred[0], deferred
    assert sum(tag in m["data"].decode("latin-1") for m in p.messages) == 1
    assert c not in clients(f)
    f.assert_queue_empty()


@pytest.mark.root_only
def test_report_mode_names_the_call(made, inject):
    f, p = start(made, conf={"sandbox": "report"})
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    (c,) = clients(f)
    f.expect_crash(c)
    f.expect_crash("SMTP client killed by signal 31")
    st = H.make_syscall(c, "execve")
    assert st is not None and H.killed_by_sigsys(st)
    wait_log(f, "smtp[%d]: sandbox: smtp-client: forbidden system call "
             "execve (59); killing the process" % c)
    send(f, ["b@remote.test"])
    p.wait_messages(2)
