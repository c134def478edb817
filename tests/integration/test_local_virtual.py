"""
Virtual domains and recipient_delimiter (lib/route/lroute.c): addresses
rewritten through virtual_alias_maps (user+ext@domain, user@domain,
@domain, the extension carried over), a virtual alias domain's unknown
addresses bounced, a virtual mailbox domain's users found as
users_file entries user@domain; and smtpd's RCPT saying 250 to exactly
these (monitor_local.c).
"""
import os

import pytest

import facteur_harness as H
from local_fixtures import (D, ALICE, BOB, CAROL, put_home, send, wait_bounce,
                            wait_log)
from smtpd_fixtures import Client, smtpd  # noqa: F401 (fixture)

VIRTUAL = """# virtual_alias_maps
info@vdom.test      alice, bob@facteur.test
sales@facteur.test  bob
@vdom2.test         carol
alice@facteur.test  alice@facteur.test, bob
loop1@vdom.test     loop2@vdom.test
loop2@vdom.test     loop1@vdom.test
"""


def virtual_setup(inst):
    path = os.path.join(inst.etc, "virtual")
    with open(path, "w") as f:
        f.write(VIRTUAL)
    if H.IS_ROOT:
        vm = H.ensure_user("fct-vmail")
        uid, gid = vm.pw_uid, vm.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    inst.add_user("joe@vmail.test", uid=uid, gid=gid, make_maildir=False)
    inst.write_conf(virtual_alias_maps=path,
                    virtual_alias_domains="vdom.test, vdom2.test",
                    virtual_mailbox_domains="vmail.test")


pytestmark = [pytest.mark.facteur(before_start=virtual_setup)]


def test_virtual_alias_domain(fct):
    tag, _ = send(fct, ["info@vdom.test"])
    fct.wait_for_tag("bob", tag)
    got = fct.wait_for_tag("alice", tag)
    assert got.startswith(b"Return-Path: <carol@facteur.test>\n"
                          b"Delivered-To: alice@facteur.test\n")
    wait_log(fct, r"to=<alice@facteur\.test>, orig_to=<info@vdom\.test>")
    fct.assert_queue_empty()


def test_virtual_alias_extension_carried_over(fct):
    """info+x@vdom.test matches info@vdom.test; the targets get +x."""
    tag, _ = send(fct, ["info+x@vdom.test"])
    fct.wait_for_tag("bob", tag)
    got = fct.wait_for_tag("alice", tag)
    assert b"\nDelivered-To: alice+x@facteur.test\n" in got
    wait_log(fct, r"to=<alice\+x@facteur\.test>, orig_to=<info\+x@vdom")
    wait_log(fct, r"to=<bob\+x@facteur\.test>, orig_to=<info\+x@vdom")


def test_virtual_catch_all(fct):
    tag, _ = send(fct, ["anyone@vdom2.test"], sender=ALICE, user="alice")
    fct.wait_for_tag("carol", tag)
    wait_log(fct, r"to=<carol@facteur\.test>, orig_to=<anyone@vdom2\.test>")


def test_virtual_unknown_in_alias_domain_bounces(fct):
    tag, _ = send(fct, ["nobody@vdom.test"])
    b = wait_bounce(fct, "carol", tag)
    assert b"5.1.1 no such user in the virtual alias table" in b
    fct.assert_queue_empty()


def test_virtual_rewrites_local_addresses_first(fct):
    """sales@facteur.test is no user and no alias, but a virtual alias."""
    tag, _ = send(fct, ["sales@" + D])
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()


def test_virtual_alias_to_itself_is_final(fct):
    """alice@facteur.test -> alice@facteur.test, bob: alice is delivered,
    not looked up again."""
    tag, _ = send(fct, [ALICE])
    fct.wait_for_tag("alice", tag)
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 2}


def test_virtual_loop_bounces(fct):
    tag, _ = send(fct, ["loop1@vdom.test"])
    b = wait_bounce(fct, "carol", tag)
    assert b"5.4.6" in b
    fct.assert_queue_empty()


def test_virtual_mailbox_domain(fct):
    """joe@vmail.test is users_file's entry joe@vmail.test, extension or
    not; his home's .forward is never followed (as Postfix's virtual)."""
    joe = fct.user("joe@vmail.test")
    put_home(fct, "joe@vmail.test", ".forward", "bob\n")
    tag, _ = send(fct, ["joe@vmail.test"])
    tag2, _ = send(fct, ["Joe+Lists@VMAIL.test"])
    fct.wait_for_tag("joe@vmail.test", tag)
    got = fct.wait_for_tag("joe@vmail.test", tag2)
    assert b"\nDelivered-To: Joe+Lists@VMAIL.test\n" in got
    fct.assert_queue_empty()
    assert fct.messages("bob") == []
    st = os.stat(os.path.join(joe.home, "Maildir"))
    assert st.st_uid == joe.uid
    tag3, _ = send(fct, ["nosuch@vmail.test"])
    b = wait_bounce(fct, "carol", tag3)
    assert b"5.1.1 no such user" in b


@pytest.mark.parametrize("rcpt,code", [
    ("alice+anything@" + D, 250),
    ("ALICE+x@" + D, 250),
    ("team+x@" + D, 250),           # alias team, by its user part
    ("nosuch+x@" + D, 550),
    ("info@vdom.test", 250),
    ("INFO+y@VDOM.TEST", 250),
    ("nobody@vdom.test", 550),
    ("anyone@vdom2.test", 250),
    ("joe@vmail.test", 250),
    ("joe+z@vmail.test", 250),
    ("nobody@vmail.test", 550),
    ("sales@" + D, 250),
    ("someone@elsewhere.example", 554),
])
def test_smtp_rcpt(fct, smtpd, rcpt, code):  # noqa: F811
    c = Client(smtpd.port)
    assert c.code("EHLO client.test") == 250
    assert c.code("MAIL FROM:<%s>" % CAROL) == 250
    got, lines = c.cmd("RCPT TO:<%s>" % rcpt)
    assert got == code, (rcpt, got, lines)
    assert c.code("QUIT") == 221
    assert BOB
