"""
An SMTP client of remote delivery taken over by the server it talks to.
The client parses what any server on the Internet sends, so the design
assumes it can be subverted: rspawn checks every frame it sends back
(rspawn_pool.c wframe) and kills it at the first one out of the
protocol, deferring its request's open recipients; queued then retries
them with a new client.

$FACTEUR_BUILD/rsubverted/rspawn is a test-only build
(remote/smtp_subvert.c, -DSMTP_CLIENT_SUBVERTED; never installed) whose
clients, when the server's reply says `XSUBVERT frame...`, send rspawn
exactly those frames instead of their results: the server scripts its
own takeover.  Each case checks what reached queued (its log lines
status=...), that the client was killed, and that the recipients it
had not answered honestly are delivered once the server stops.

What a subverted client can do, and these tests show, is lie about its
own request's recipients (each once): that is what any server can do by
answering 250 and dropping the mail.
"""
import os
import shutil

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import Peer, log_lines, remote_instance, send, wait_log

KILLED = "malformed frame from the SMTP client"


def hx(*fields):
    return ".".join(str(f).encode().hex() for f in fields)


def result(index, status="K", dsn="2.0.0", slot=0, text="250 ok",
           dsn_peer=0):
    return hx("R", slot, index, status, dsn, "mx.evil[127.0.0.1]:25", text,
              dsn_peer)


def end(slot=0):
    return hx("E", slot, 0, 0, 1, 1, 1)


@pytest.fixture
def made(request):
    path = os.path.join(H.BUILD, "rsubverted", "rspawn")
    if not os.path.isfile(path):
        pytest.fail("%s is not built (make test-variants)" % path)
    things = {"inst": [], "peer": []}

    def make(script):
        p = Peer(replies={"DATA": "250 2.0.0 XSUBVERT " + script})
        things["peer"].append(p)
        f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                            start=False,
                            conf={"smtp_connection_cache_time": "0"})
        things["inst"].append(f)
        dst = os.path.join(f.libexec, "rspawn")
        shutil.copyfile(path, dst)
        os.chmod(dst, 0o755)
        f.start_queued()
        return f, p
    yield make
    for i in things["inst"]:
        conftest_finish(request, i)
    for p in things["peer"]:
        p.stop()


def sent_to(f, rcpt):
    return [ln for ln in log_lines(f, "to=<%s>" % rcpt)
            if "status=sent" in ln]


def after_the_attack(f, p, honest):
    """The client was killed; the recipients in honest (not answered by
    a frame that passed) are deferred, never sent, and are delivered
    once the server stops its script."""
    wait_log(f, KILLED)
    for r in honest:
        ln = wait_log(f, "to=<%s>" % r)[0]
        assert "status=deferred" in ln and KILLED in ln, ln
        assert not sent_to(f, r)
    p.replies.pop("DATA")
    for r in honest:
        H.wait_until(lambda r=r: sent_to(f, r), 60, "%s delivered" % r)
    f.assert_queue_empty()


def test_a_result_for_a_recipient_not_asked(made):
    f, p = made(result(5))
    send(f, ["a@remote.test"])
    after_the_attack(f, p, ["a@remote.test"])


def test_a_result_for_another_slot(made):
    f, p = made(result(0, slot=3))
    send(f, ["a@remote.test"])
    after_the_attack(f, p, ["a@remote.test"])


def test_a_recipient_answered_twice(made):
    # the first answer is the client's to give (a lie about its own
    # recipient, as any server can tell); the second ends the client
    f, p = made(" ".join([result(0), result(0, "D", "5.1.1", text="550 x")]))
    send(f, ["a@remote.test", "b@remote.test"])
    after_the_attack(f, p, ["b@remote.test"])
    assert len(sent_to(f, "a@remote.test")) == 1
    assert not log_lines(f, "status=bounced")


def test_an_end_before_every_answer(made):
    f, p = made(" ".join([result(0), end()]))
    send(f, ["a@remote.test", "b@remote.test"])
    after_the_attack(f, p, ["b@remote.test"])


def test_a_frame_with_a_descriptor(made):
    f, p = made("fd:" + result(0))
    send(f, ["a@remote.test"])
    after_the_attack(f, p, ["a@remote.test"])


def test_a_forged_log_line(made):
    forged = "x\nqueued[1]: FORGED: to=<victim@remote.test>, status=sent"
    f, p = made(hx("L", forged))
    send(f, ["a@remote.test"])
    after_the_attack(f, p, ["a@remote.test"])
    assert "FORGED" not in f.log()


def test_a_frame_of_another_kind(made):
    # a request frame, as if the client could hand rspawn work
    f, p = made(hx("J", 0, "NHCPAAAAAAAAAA", "a@b", "[127.0.0.1]:25", "", "",
                   "x@y\t\t"))
    send(f, ["a@remote.test"])
    after_the_attack(f, p, ["a@remote.test"])


# ------------------------------------------------------------------
# rspawn taken over: the same build passes a client's frame that begins
# with "X" to queued unchecked, as an rspawn under an attacker's control
# would send it.  queued checks each frame (queued_remote.c
# reply_handle): at the first one out of the protocol it drops rspawn,
# the results it had count, the rest are deferred, and a new rspawn is
# started after QUEUED_RESTART_DELAY.

DROPPED = "malformed frame from rspawn"


def raw(*frames):
    return " ".join(hx("X") + "." + fr for fr in frames)


def after_rspawn_dropped(f, p, honest):
    wait_log(f, DROPPED)
    for r in honest:
        ln = wait_log(f, "to=<%s>" % r)[0]
        assert "status=deferred" in ln, ln
        assert not sent_to(f, r)
    p.replies.pop("DATA")
    for r in honest:
        H.wait_until(lambda r=r: sent_to(f, r), 60, "%s delivered" % r)
    f.assert_queue_empty()


def test_rspawn_result_for_a_slot_not_in_use(made):
    f, p = made(raw(result(0, slot=7)))
    send(f, ["a@remote.test"])
    after_rspawn_dropped(f, p, ["a@remote.test"])


def test_rspawn_result_for_a_recipient_not_asked(made):
    f, p = made(raw(result(3)))
    send(f, ["a@remote.test"])
    after_rspawn_dropped(f, p, ["a@remote.test"])


def test_rspawn_recipient_answered_twice(made):
    # the first answer counts (rspawn may lie about the mail it was
    # given, as any server may); the second drops rspawn
    f, p = made(raw(result(0), result(0, "D", "5.1.1", text="550 x")))
    send(f, ["a@remote.test", "b@remote.test"])
    after_rspawn_dropped(f, p, ["b@remote.test"])
    assert len(sent_to(f, "a@remote.test")) == 1
    assert not log_lines(f, "status=bounced")


def test_rspawn_end_before_every_answer(made):
    f, p = made(raw(result(0), end()))
    send(f, ["a@remote.test", "b@remote.test"])
    after_rspawn_dropped(f, p, ["b@remote.test"])
    assert len(sent_to(f, "a@remote.test")) == 1


def test_rspawn_frame_with_a_descriptor(made):
    f, p = made("fd:" + raw(result(0)))
    send(f, ["a@remote.test"])
    after_rspawn_dropped(f, p, ["a@remote.test"])


def test_rspawn_status_and_dsn_disagree(made):
    # "delivered" with a 5.x.x code: not a result queued takes
    f, p = made(raw(result(0, "K", "5.1.1")))
    send(f, ["a@remote.test"])
    after_rspawn_dropped(f, p, ["a@remote.test"])
