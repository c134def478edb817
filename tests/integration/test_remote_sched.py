"""
Scheduling of remote delivery: a connection is reused for the next
message to the same destination (and not with smtp_connection_cache_time
= 0); no more than smtp_destination_concurrency_limit deliveries go to
one destination at once, nor smtp_concurrency in all; a destination that
cannot be reached is backed off as a whole: the other messages for it
are deferred at once with "delivery temporarily suspended", without a
connection, and it is tried again alone when the backoff ends.  A
request waiting behind a busy client is not lost when that client dies.
"""
import os
import signal
import time

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import (Peer, RawPeer, log_lines, remote_instance, send,
                             wait_log)


@pytest.fixture
def made(request):
    things = {"inst": [], "peer": []}
    yield things
    for i in things["inst"]:
        conftest_finish(request, i)
    for p in things["peer"]:
        p.stop()


def queue_while_stopped(f, rcpt_lists):
    """Queues one message per recipient list with queued stopped, so that
    queued finds them all at once when it starts."""
    f.stop_queued()
    tags = []
    for rcpts in rcpt_lists:
        tag, msg = H.make_message()
        r = f.enqueue_raw(msg, H.envelope("alice@" + H.DOMAIN, rcpts))
        assert r.returncode == 0, r.stderr
        tags.append(tag)
    f.start_queued()
    return tags


def test_connection_is_reused(made):
    p = Peer()
    made["peer"].append(p)
    f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                        conf={"smtp_connection_cache_time": "20s"})
    made["inst"].append(f)
    for k in range(4):
        send(f, ["r%d@remote.test" % k])
        p.wait_messages(k + 1)
    assert p.connections == 1
    # Postfix's form: the Nth delivery over a connection says conn_use=N
    # (the peer has the 4th message before queued has logged its result)
    sent = wait_log(f, "status=sent", 4)
    assert ["conn_use=%d, delay=" % k in sent[k - 1] for k in (2, 3, 4)] \
        == [True] * 3, sent
    assert "conn_use" not in sent[0]


def test_no_reuse_without_a_cache(made):
    p = Peer()
    made["peer"].append(p)
    f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                        conf={"smtp_connection_cache_time": "0"})
    made["inst"].append(f)
    for k in range(3):
        send(f, ["r%d@remote.test" % k])
        p.wait_messages(k + 1)
    assert p.connections == 3


def test_destination_and_total_concurrency(made):
    a, b = Peer(data_delay=1), Peer(data_delay=1)
    made["peer"] += [a, b]
    f = remote_instance(transport={
        "a.test": "smtp:[127.0.0.1]:%d" % a.port,
        "b.test": "smtp:[127.0.0.1]:%d" % b.port,
    }, conf={"smtp_destination_concurrency_limit": "2",
             "smtp_concurrency": "3"})
    made["inst"].append(f)
    queue_while_stopped(f, [["x%d@a.test" % k] for k in range(6)] +
                        [["y%d@b.test" % k] for k in range(6)])
    a.wait_messages(6, timeout=60)
    b.wait_messages(6, timeout=60)
    assert a.peak <= 2 and b.peak <= 2, (a.peak, b.peak)
    assert a.peak + b.peak >= 3       # both worked at once
    # the peer has the message before queued logs the 250 it got
    assert len(wait_log(f, "status=sent", 12)) == 12


def test_total_concurrency_bounds_the_peers(made):
    a, b = Peer(data_delay=1), Peer(data_delay=1)
    made["peer"] += [a, b]
    f = remote_instance(transport={
        "a.test": "smtp:[127.0.0.1]:%d" % a.port,
        "b.test": "smtp:[127.0.0.1]:%d" % b.port,
    }, conf={"smtp_destination_concurrency_limit": "5",
             "smtp_concurrency": "3"})
    made["inst"].append(f)
    active = []
    stop = []

    def sample():
        while not stop:
            active.append(a.active + b.active)
            time.sleep(0.02)
    import threading
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        queue_while_stopped(f, [["x%d@a.test" % k] for k in range(5)] +
                            [["y%d@b.test" % k] for k in range(5)])
        a.wait_messages(5, timeout=60)
        b.wait_messages(5, timeout=60)
    finally:
        stop.append(1)
        t.join(5)
    assert max(active) <= 3, max(active)
    assert max(active) >= 2


def test_unreachable_destination_is_backed_off(made):
    seen = []

    def busy(c):
        seen.append(time.monotonic())
        c.send(b"421 4.3.2 not now\r\n")
    raw = RawPeer(busy)
    made["peer"].append(raw)
    f = remote_instance(relayhost="[127.0.0.1]:%d" % raw.port,
                        conf={"smtp_destination_concurrency_limit": "1",
                              "queue_retry_min": "4s",
                              "queue_retry_max": "8s"})
    made["inst"].append(f)
    queue_while_stopped(f, [["r%d@remote.test" % k] for k in range(4)])
    wait_log(f, "status=deferred", 4)
    suspended = log_lines(f, "delivery temporarily suspended: host "
                          "127.0.0.1[127.0.0.1] refused to talk to me: 421")
    assert len(suspended) == 3, f.log_tail()
    assert len(seen) == 1
    assert log_lines(f, "[127.0.0.1]:%d: destination backed off for 4 s "
                     "after 1 failure(s) in a row" % raw.port)
    # when the backoff ends, one delivery goes alone, and fails again
    H.wait_until(lambda: len(seen) >= 2, 30, "the probe after the backoff")
    time.sleep(1)
    assert len(seen) == 2
    assert log_lines(f, "backed off for 8 s after 2 failure(s)")


def smtp_clients(f):
    return [p for p in H.descendants(f.queued.pid)
            if H.proc_comm(p) == "smtp"]


def test_a_request_behind_a_dead_client_is_not_lost(made):
    """With one connection allowed, the second message waits behind the
    first at the same SMTP client (begun as soon as the first is done, no
    round trip through queued).  The client is killed during the first:
    the first is deferred, the second, never begun, goes to a new client
    and is delivered."""
    p = Peer(data_delay=3)
    made["peer"].append(p)
    f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                        conf={"smtp_destination_concurrency_limit": "1",
                              "queue_retry_min": "30s",
                              "queue_retry_max": "60s"})
    made["inst"].append(f)
    queue_while_stopped(f, [["first@remote.test"], ["second@remote.test"]])
    wait_log(f, "waits behind")
    H.wait_until(lambda: p.active == 1, 20, "the first delivery to begin")
    clients = smtp_clients(f)
    assert len(clients) == 1, clients
    os.kill(clients[0], signal.SIGKILL)
    p.wait_messages(1, timeout=30)
    wait_log(f, "status=sent")
    wait_log(f, "status=deferred")
    behind = log_lines(f, "waits behind")[0].split(": ")[1]
    sent = log_lines(f, "status=sent")
    assert len(sent) == 1 and behind in sent[0], (behind, sent)
    deferred = log_lines(f, "status=deferred")
    assert len(deferred) == 1 and "SMTP client" in deferred[0], deferred
    assert behind not in deferred[0]
