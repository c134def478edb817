"""
~/.forward, read and followed as the user (deliver/local_forward.c):
forwarding as a new message with Delivered-To and the original sender,
the user's own mailbox, commands and files, .forward+extension, the
files that are ignored (group- or world-writable, in a writable home, a
symbolic link, someone else's), loops through .forward files and
aliases, allow_mail_to_commands and :include: files.  Every test runs
as root with real users (fct-alice, fct-bob, fct-carol).
"""
import os
import re

import pytest

import facteur_harness as H
from local_fixtures import (D, ALICE, BOB, CAROL, put_home, script, send,
                            wait_bounce, wait_log, wait_file, read_env)

pytestmark = pytest.mark.root_only


def test_forward_to_an_address_is_a_new_message(fct):
    """bob gets a copy queued anew: Delivered-To alice on top, the
    original sender kept; alice's Maildir stays empty."""
    put_home(fct, "alice", ".forward", "bob\n")
    tag, data = send(fct, [ALICE])
    got = fct.wait_for_tag("bob", tag)
    assert got == (("Return-Path: <%s>\nDelivered-To: %s\n"
                    "Delivered-To: %s\n") % (CAROL, BOB, ALICE)).encode() \
        + data
    fct.assert_queue_empty()
    assert fct.messages("alice") == []
    # two queue IDs: the forwarded copy is a message of its own
    ids = set(re.findall(r"(\w+): from=<%s>" % re.escape(CAROL), fct.log()))
    assert len(ids) == 2, fct.log()
    wait_log(fct, r"to=<%s>: forwarded to 1 address, sender <%s>"
             % (re.escape(ALICE), re.escape(CAROL)))


def test_forward_keeps_the_null_sender(fct):
    put_home(fct, "alice", ".forward", "bob@%s\n" % D)
    tag, data = send(fct, [ALICE], sender="")
    got = fct.wait_for_tag("bob", tag)
    assert got.startswith(b"Return-Path: <>\n")


def test_forward_self_and_others(fct):
    """\\alice keeps a copy in the mailbox; alice's own address does too,
    with or without the domain; comments and blank lines are skipped."""
    put_home(fct, "alice", ".forward",
             "# keep one, send one\n\n\\alice, bob\n")
    tag, data = send(fct, [ALICE])
    fct.wait_for_tag("alice", tag)
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    put_home(fct, "carol", ".forward", "%s\nbob\n" % CAROL)
    tag2, _ = send(fct, [CAROL], sender=ALICE, user="alice")
    fct.wait_for_tag("carol", tag2)
    fct.wait_for_tag("bob", tag2)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 2, tag2: 2}


def test_forward_command_runs_as_the_user(fct):
    """A |command gets the message after a From_ line, Return-Path and
    Delivered-To, runs as the user in the home directory, with Postfix's
    environment and nothing else."""
    u = fct.user("alice")
    out = os.path.join(u.home, "out")
    rec = script(fct, "record", "#!/bin/sh\n"
                 "id -u > %(o)s.uid; id -G > %(o)s.groups; pwd > %(o)s.pwd\n"
                 "env > %(o)s.env; cat > %(o)s.msg\n" % {"o": out})
    put_home(fct, "alice", ".forward", '"|%s"\n' % rec)
    tag, data = send(fct, ["alice+tag-1@" + D])
    msg = wait_file(out + ".msg", min_size=len(data))
    fct.assert_queue_empty()
    first, rest = msg.split(b"\n", 1)
    assert re.match(rb"From carol@facteur\.test  \w{3} \w{3} [ \d]\d "
                    rb"\d\d:\d\d:\d\d \d{4}$", first), first
    assert rest == ("Return-Path: <%s>\nDelivered-To: alice+tag-1@%s\n"
                    % (CAROL, D)).encode() + data
    assert open(out + ".uid").read().split() == [str(u.uid)]
    assert open(out + ".groups").read().split() == [str(u.gid)]
    assert open(out + ".pwd").read().strip() == u.home
    env = read_env(out + ".env")
    want = {"SENDER": CAROL, "RECIPIENT": "alice+tag-1@" + D,
            "USER": "alice", "LOGNAME": "alice", "LOCAL": "alice+tag-1",
            "EXTENSION": "tag-1", "DOMAIN": D, "HOME": u.home,
            "PATH": "/usr/bin:/bin"}
    for k, v in want.items():
        assert env.get(k) == v, (k, env)
    assert env["SHELL"].startswith("/")
    extra = set(env) - set(want) - {"SHELL", "TZ", "LANG", "PWD", "SHLVL",
                                     "_"}
    assert not extra, extra
    assert fct.messages("alice") == []


def test_forward_command_sees_filtered_values(fct):
    """A sender with shell-special bytes reaches the command's
    environment with each of them as '_' (Postfix's filter)."""
    u = fct.user("alice")
    out = os.path.join(u.home, "env")
    rec = script(fct, "envonly", "#!/bin/sh\nenv > %s\ncat >/dev/null\n"
                 % out)
    put_home(fct, "alice", ".forward", '"|%s"\n' % rec)
    send(fct, [ALICE], sender='"$(touch x);`y`"@example.org')
    wait_file(out)
    fct.assert_queue_empty()
    env = read_env(out)
    assert env["SENDER"] == "___touch_x___y__@example.org", env["SENDER"]


def test_forward_file_is_an_mbox(fct):
    """A /file gets an mbox entry: From_ line, >From quoting, an empty
    line after; created mode 0600 for the user."""
    u = fct.user("alice")
    box = os.path.join(u.home, "saved.mbox")
    put_home(fct, "alice", ".forward", "%s\n" % box)
    body = b"From here\nFrom: not a header\n>From quoted already\nend"
    tag, data = send(fct, [ALICE], body=body)
    fct.assert_queue_empty()
    text = wait_file(box)
    st = os.stat(box)
    assert (st.st_uid, st.st_mode & 0o777) == (u.uid, 0o600)
    head, body_out = text.split(b"\n", 1)
    assert head.startswith(b"From carol@facteur.test  ")
    quoted = data.replace(b"\nFrom here\n", b"\n>From here\n")
    assert body_out == ("Return-Path: <%s>\nDelivered-To: %s\n"
                        % (CAROL, ALICE)).encode() + quoted + b"\n\n"


def test_forward_extension_file_first(fct):
    """alice+news reads ~/.forward+news before ~/.forward."""
    put_home(fct, "alice", ".forward+news", "carol\n")
    put_home(fct, "alice", ".forward", "bob\n")
    tag, _ = send(fct, ["alice+news@" + D], sender=ALICE, user="alice")
    fct.wait_for_tag("carol", tag)
    tag2, _ = send(fct, ["alice+other@" + D], sender=ALICE, user="alice")
    fct.wait_for_tag("bob", tag2)
    fct.assert_queue_empty()
    assert fct.count_tags() == {tag: 1, tag2: 1}


@pytest.mark.parametrize("how", ["group-writable", "world-writable",
                                 "home-writable", "symlink", "other-owner"])
def test_unsafe_forward_is_ignored(fct, how):
    """A .forward someone else could have written is not followed: the
    mail goes to the mailbox, and the log says why."""
    u = fct.user("alice")
    path = os.path.join(u.home, ".forward")
    if how == "symlink":
        target = put_home(fct, "alice", "real-forward", "bob\n")
        os.symlink(target, path)
        os.lchown(path, u.uid, u.gid)
        why = "a symbolic link"
    else:
        put_home(fct, "alice", ".forward", "bob\n",
                 mode={"group-writable": 0o664,
                       "world-writable": 0o646}.get(how, 0o644),
                 owner="bob" if how == "other-owner" else None)
        why = {"group-writable": "writable by its group or others",
               "world-writable": "writable by its group or others",
               "home-writable": "its directory is writable by others",
               "other-owner": "owned by uid %d" % fct.user("bob").uid}[how]
    if how == "home-writable":
        os.chmod(u.home, 0o770)
    tag, data = send(fct, [ALICE])
    fct.wait_for_tag("alice", tag)
    fct.assert_queue_empty()
    assert fct.messages("bob") == []
    wait_log(fct, r"to=<%s>: ignoring %s: %s" % (re.escape(ALICE),
                                                re.escape(path),
                                                re.escape(why)))


def test_empty_forward_is_none(fct):
    put_home(fct, "alice", ".forward", "# nothing\n\n")
    tag, _ = send(fct, [ALICE])
    fct.wait_for_tag("alice", tag)
    wait_log(fct, r"\.forward is empty; delivering to the mailbox")


def test_forward_loop_bounces(fct):
    """alice -> bob -> alice: the second arrival at alice carries
    Delivered-To: alice and is bounced to the original sender."""
    put_home(fct, "alice", ".forward", "bob\n")
    put_home(fct, "bob", ".forward", "alice\n")
    tag, data = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag)
    assert b"mail forwarding loop for " + ALICE.encode() in b, b
    fct.assert_queue_empty()
    assert fct.messages("alice") == [] and fct.messages("bob") == []


@pytest.mark.facteur(aliases="postmaster: alice\nlist: alice, bob\n")
def test_alias_and_forward_loop_bounces(fct):
    """list -> alice (alias), alice -> list (.forward): the copy alice
    forwards reaches list's members again (bob has two, as with Postfix:
    nothing tells him the message is the same), the one back at alice
    bounces."""
    put_home(fct, "alice", ".forward", "list\n")
    tag, data = send(fct, ["list@" + D])
    b = wait_bounce(fct, "carol", tag)
    assert b"mail forwarding loop for " + ALICE.encode() in b
    fct.assert_queue_empty()
    assert fct.count_tags(["bob"]) == {tag: 2}
    assert fct.messages("alice") == []


@pytest.mark.facteur(conf={"allow_mail_to_commands": "alias",
                           "allow_mail_to_files": "alias"})
def test_forward_commands_not_allowed(fct):
    """Without "forward" in allow_mail_to_commands, a .forward's command
    bounces (5.7.1) and its other targets still get the mail."""
    ran = os.path.join(fct.rundir, "ran")
    rec = script(fct, "touch", "#!/bin/sh\ntouch %s\n" % ran)
    put_home(fct, "alice", ".forward", '"|%s", bob, /tmp/never.mbox\n'
             % rec)
    tag, _ = send(fct, [ALICE])
    fct.wait_for_tag("bob", tag)
    b = wait_bounce(fct, "carol", tag)
    assert b"5.7.1 mail to a command is not allowed in .forward" in b, b
    fct.assert_queue_empty()
    assert not os.path.exists(ran)
    assert not os.path.exists("/tmp/never.mbox")


def test_forward_include(fct):
    """An :include: file named in a .forward is read as the user; its
    addresses are forwarded; a command in it is refused by default."""
    lst = put_home(fct, "alice", "list", "bob\n# and\ncarol\n")
    put_home(fct, "alice", ".forward", ":include:%s\n" % lst)
    tag, _ = send(fct, [ALICE], sender=BOB, user="bob")
    fct.wait_for_tag("bob", tag)
    fct.wait_for_tag("carol", tag)
    fct.assert_queue_empty()
    cmds = put_home(fct, "alice", "cmds", '"|/bin/true"\n')
    put_home(fct, "alice", ".forward", ":include:%s\n" % cmds)
    tag2, _ = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag2)
    assert b"5.7.1 mail to a command is not allowed in an :include: file" \
        in b


@pytest.mark.facteur(conf={"allow_mail_to_commands":
                           "alias, forward, include"})
def test_forward_include_command_allowed(fct):
    out = os.path.join(fct.user("alice").home, "inc.uid")
    rec = script(fct, "incuid", "#!/bin/sh\nid -u > %s\n" % out)
    cmds = put_home(fct, "alice", "cmds", '"|%s"\n' % rec)
    put_home(fct, "alice", ".forward", ":include:%s\n" % cmds)
    send(fct, [ALICE])
    assert wait_file(out).split() == [str(fct.user("alice").uid).encode()]
    fct.assert_queue_empty()


def test_forward_include_unreadable_defers(fct):
    """An :include: file the user cannot read defers the mail."""
    secret = os.path.join(fct.root, "etc", "secret-list")
    with open(secret, "w") as f:
        f.write("bob\n")
    os.chmod(secret, 0o600)
    put_home(fct, "alice", ".forward", ":include:%s\n" % secret)
    send(fct, [ALICE])
    wait_log(fct, r"status=deferred \(4\.3\.0 cannot read :include: file")
    wait_log(fct, r"cannot read :include: file %s: Permission denied"
             % re.escape(secret))
