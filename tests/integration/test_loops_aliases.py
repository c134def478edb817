"""
Mail loops (a message already delivered to a recipient) and aliases
(postmaster, a list, root): delivered once to each final recipient,
bounced to the sender when they loop.
"""
import re

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D


def send(fct, rcpts, headers=None, sender=ALICE):
    tag, data = H.make_message(headers=headers)
    r = fct.enqueue_raw(data, H.envelope(sender, rcpts))
    assert r.returncode == 0, r.stderr
    return tag, data


def assert_bounce_for(fct, user, tag, rcpt, why_re):
    msgs = fct.messages(user)
    bounces = [m for m in msgs if H.is_bounce(m)]
    assert len(bounces) == 1, "%d bounces for %s" % (len(bounces), user)
    b = bounces[0]
    assert rcpt.encode() in b, b
    assert tag.encode() in b, "bounce does not quote the original"
    assert re.search(why_re, b), (why_re, b)
    return b


def test_delivered_to_loop_bounces(fct):
    tag, data = send(fct, [BOB], headers=[b"Delivered-To: " + BOB.encode()])
    fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    assert_bounce_for(fct, "alice", tag, BOB, rb"(?i)loop")
    assert tag not in fct.count_tags(["bob"])


def test_delivered_to_other_address_is_no_loop(fct):
    tag, data = send(fct, [BOB], headers=[b"Delivered-To: " + CAROL.encode()])
    got = fct.wait_for_tag("bob", tag)
    assert got == ("Return-Path: <%s>\nDelivered-To: %s\n"
                   % (ALICE, BOB)).encode() + data
    fct.assert_queue_empty()
    assert fct.messages("alice") == []


def test_alias_postmaster(fct):
    tag, data = send(fct, ["postmaster@" + D])
    got = fct.wait_for_tag("alice", tag)
    assert got.endswith(data) and got.startswith(
        ("Return-Path: <%s>\nDelivered-To: " % ALICE).encode())
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 1}


def test_alias_postmaster_any_case(fct):
    """RFC 5321 4.5.1: postmaster is case-insensitive."""
    tag, data = send(fct, ["PostMaster@" + D])
    fct.wait_for_tag("alice", tag)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 1}


def test_alias_list(fct):
    tag, data = send(fct, ["team@" + D])
    for u in ("alice", "bob"):
        got = fct.wait_for_tag(u, tag)
        assert got.endswith(data)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 2}


def test_alias_and_member_together_deliver_once(fct):
    """team (alice, bob) plus bob directly: bob gets one copy."""
    tag, data = send(fct, ["team@" + D, BOB])
    fct.wait_for_tag("alice", tag)
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 2}


def test_root_via_alias(fct):
    tag, data = send(fct, ["root@" + D])
    fct.wait_for_tag("alice", tag)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 1}


@pytest.mark.facteur(aliases="loopa: loopb\nloopb: loopa\n")
def test_alias_loop_bounces(fct):
    tag, data = send(fct, ["loopa@" + D])
    fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    assert_bounce_for(fct, "alice", tag, "loopa@" + D, rb"(?i)loop|alias")


@pytest.mark.facteur(aliases="postmaster: alice\n",
                     conf={"system_users": "yes"})
def test_root_without_alias_is_refused(fct):
    """root is a system account with uid 0: never delivered to."""
    tag, data = send(fct, ["root@" + D])
    fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    assert_bounce_for(fct, "alice", tag, "root@" + D, rb"(?i)uid|root|refus")
    assert fct.count_tags() == {None: 1}
