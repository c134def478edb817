"""
Temporary failures: a recipient whose Maildir cannot be written is
deferred and retried (queue_retry_min doubling to queue_retry_max) until
it works; past queue_lifetime it bounces.  Injection-side temporary
failures: enqueue 55 (config unreadable) and 62 (queue directory), and
sendmail's 75 for them.
"""
import os
import re

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D


def deferrals(fct, rcpt):
    pat = re.compile(r"to=<%s>.*status=deferred" % re.escape(rcpt))
    return len([x for x in fct.log().splitlines() if pat.search(x)])


def test_deferred_then_delivered(fct):
    tmp = fct.maildir("bob", "tmp")
    os.chmod(tmp, 0o500)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    H.wait_until(lambda: deferrals(fct, BOB) >= 2, 60,
                 "two deferred attempts for bob")
    assert fct.messages("bob") == []
    assert len(fct.queue_files()["env"]) == 1
    os.chmod(tmp, 0o700)
    got = fct.wait_for_tag("bob", tag, 60)
    fct.assert_queue_empty()
    assert got == ("Return-Path: <%s>\nDelivered-To: %s\n"
                   % (ALICE, BOB)).encode() + data
    assert fct.messages("alice") == [], "bounce for a temporary failure"
    assert os.listdir(tmp) == []


@pytest.mark.facteur(conf={"queue_lifetime": "3s"})
def test_lifetime_expired_bounces(fct):
    tmp = fct.maildir("bob", "tmp")
    os.chmod(tmp, 0o500)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    msgs = fct.wait_for_delivery("alice", 1, 60)
    fct.assert_queue_empty()
    assert len(msgs) == 1 and H.is_bounce(msgs[0]), msgs
    assert BOB.encode() in msgs[0] and tag.encode() in msgs[0]
    assert fct.messages("bob") == []


def test_enqueue_config_unreadable_55(fct):
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]),
                        env={"FACTEUR_CONF": fct.rundir + "/missing.conf"})
    assert r.returncode == 55, (r.returncode, r.stderr)


def _bad_queue_conf(fct):
    path = os.path.join(fct.etc, "badqueue.conf")
    with open(fct.conf_path) as f:
        text = f.read().replace(fct.queue, fct.root + "/no-such-queue")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def test_enqueue_missing_queue_dir_62(fct):
    path = _bad_queue_conf(fct)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]),
                        env={"FACTEUR_CONF": path})
    assert r.returncode == 62, (r.returncode, r.stderr)


@pytest.mark.usefixtures("sendmail_built")
def test_sendmail_temporary_failure_75(fct):
    path = _bad_queue_conf(fct)
    tag, data = H.make_message()
    r = fct.run([fct.program("sendmail"), "-C", path, "-f", ALICE, BOB],
                data, env={"FACTEUR_CONF": path})
    assert r.returncode == 75, (r.returncode, r.stderr)
