"""
The aliases file in its full form (queue/queued_alias.c,
deliver/lspawn_alias.c): |commands and /files run as default_privs
(nobody) when root owns the aliases file, as the owner otherwise;
:include: files (their addresses, their commands refused by default and
run as the file's owner when allowed); recipient_delimiter for aliases
(list+ext tried, then list); default_privs that would be root.
"""
import os
import pwd
import re

import pytest

import facteur_harness as H
from local_fixtures import (D, ALICE, BOB, CAROL, script, send, wait_bounce,
                            wait_log, wait_file, read_env)

pytestmark = pytest.mark.root_only


def recorder(fct, name="rec"):
    """A command that writes its uid, groups, environment and input into
    run/NAME.*; (script path, output prefix)."""
    out = os.path.join(fct.rundir, name)
    path = script(fct, name, "#!/bin/sh\numask 022\nid -u > %(o)s.uid\n"
                  "id -G > %(o)s.groups\nenv > %(o)s.env\ncat > %(o)s.msg\n"
                  % {"o": out})
    return path, out


def test_alias_command_runs_as_default_privs(fct):
    """root owns the aliases file: its command runs as nobody, with the
    alias's name as USER and its address as RECIPIENT."""
    rec, out = recorder(fct)
    fct.write_aliases('postmaster: alice\narchive: "|%s", bob\n' % rec)
    tag, data = send(fct, ["archive@" + D])
    fct.wait_for_tag("bob", tag)
    msg = wait_file(out + ".msg", min_size=len(data))
    fct.assert_queue_empty()
    nob = pwd.getpwnam("nobody")
    assert open(out + ".uid").read().split() == [str(nob.pw_uid)]
    assert open(out + ".groups").read().split() == [str(nob.pw_gid)]
    assert msg.split(b"\n", 1)[1] == ("Return-Path: <%s>\nDelivered-To: "
                                      "archive@%s\n" % (CAROL, D)).encode() \
        + data
    env = read_env(out + ".env")
    assert env["USER"] == "archive" and env["RECIPIENT"] == "archive@" + D
    assert env["SENDER"] == CAROL and env["HOME"] == nob.pw_dir
    wait_log(fct, r"to=<archive@%s>, relay=local, .*status=sent \(delivered "
             r"to command: %s\)" % (re.escape(D), re.escape(rec)))


def test_alias_command_runs_as_the_owner(fct):
    """An aliases file owned by a user (carol): its commands run as
    carol."""
    rec, out = recorder(fct)
    fct.write_aliases('postmaster: alice\narchive: "|%s"\n' % rec)
    c = fct.user("carol")
    os.chown(fct.aliases_path, c.uid, c.gid)
    send(fct, ["archive@" + D], sender=ALICE, user="alice")
    assert wait_file(out + ".uid").split() == [str(c.uid).encode()]
    fct.assert_queue_empty()


def test_alias_file_target(fct):
    """A /file of the aliases file: an mbox written as nobody; /dev/null
    swallows the mail."""
    box = os.path.join(fct.rundir, "archive.mbox")
    fct.write_aliases("postmaster: alice\narchive: %s\nnull: /dev/null\n"
                      % box)
    tag, _ = send(fct, ["archive@" + D])
    assert tag.encode() in wait_file(box)
    assert os.stat(box).st_uid == pwd.getpwnam("nobody").pw_uid
    tag2, _ = send(fct, ["null@" + D])
    wait_log(fct, r"to=<null@%s>, .*status=sent \(delivered to file: "
             r"/dev/null\)" % re.escape(D))
    fct.assert_queue_empty()
    assert tag2.encode() not in open(box, "rb").read()


def test_alias_extension(fct):
    """list+x is the alias list+x when there is one, else list; the
    extension reaches the command."""
    rec, out = recorder(fct)
    fct.write_aliases('postmaster: alice\nlist: "|%s"\nlist+vip: bob\n'
                      % rec)
    send(fct, ["list+misc@" + D])
    wait_file(out + ".env")
    env = read_env(out + ".env")
    assert (env["EXTENSION"], env["LOCAL"], env["USER"]) == \
        ("misc", "list+misc", "list")
    tag, _ = send(fct, ["list+vip@" + D])
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()


def test_alias_include(fct):
    """:include: files: their addresses are delivered, their commands
    refused by default (5.7.1 to the sender) while the rest goes on."""
    inc = os.path.join(fct.rundir, "members")
    with open(inc, "w") as f:
        f.write("# the list\nalice\nbob@%s\n" % D)
    cmds = os.path.join(fct.rundir, "hooks")
    with open(cmds, "w") as f:
        f.write('"|/bin/true"\n')
    fct.write_aliases("postmaster: alice\nlist: :include:%s, "
                      ":include:%s\n" % (inc, cmds))
    tag, _ = send(fct, ["list@" + D])
    fct.wait_for_tag("alice", tag)
    fct.wait_for_tag("bob", tag)
    b = wait_bounce(fct, "carol", tag)
    assert b"5.7.1 mail to a command is not allowed in an :include: file" \
        b" (allow_mail_to_commands)" in b
    fct.assert_queue_empty()


@pytest.mark.facteur(conf={"allow_mail_to_commands":
                           "alias, forward, include"})
def test_alias_include_command_runs_as_the_file_owner(fct):
    """Allowed, a command of an :include: file runs as that file's owner
    (bob), not as the aliases file's (default_privs)."""
    rec, out = recorder(fct)
    cmds = os.path.join(fct.rundir, "hooks")
    with open(cmds, "w") as f:
        f.write('"|%s"\n' % rec)
    b = fct.user("bob")
    os.chown(cmds, b.uid, b.gid)
    fct.write_aliases("postmaster: alice\nlist: alice, :include:%s\n" % cmds)
    tag, _ = send(fct, ["list@" + D])
    fct.wait_for_tag("alice", tag)
    assert wait_file(out + ".uid").split() == [str(b.uid).encode()]
    fct.assert_queue_empty()


@pytest.mark.facteur(conf={"allow_mail_to_commands": "forward",
                           "allow_mail_to_files": "forward"})
def test_alias_commands_not_allowed(fct):
    fct.write_aliases("postmaster: alice\narchive: |/bin/true, bob\n"
                      "save: /tmp/never.mbox\n")
    tag, _ = send(fct, ["archive@" + D, "save@" + D])
    fct.wait_for_tag("bob", tag)
    b = wait_bounce(fct, "carol", tag)
    assert b"5.7.1 mail to a command is not allowed in the aliases file" in b
    assert b"5.7.1 mail to a file is not allowed in the aliases file" in b
    fct.assert_queue_empty()
    assert not os.path.exists("/tmp/never.mbox")


@pytest.mark.facteur(conf={"default_privs": "root"})
def test_default_privs_root_is_refused(fct):
    """default_privs may never be root: the commands of a root-owned
    aliases file then wait, with the reason."""
    fct.write_aliases("postmaster: alice\narchive: |/bin/true\n")
    send(fct, ["archive@" + D])
    wait_log(fct, r"to=<archive@%s>, .*status=deferred \(4\.3\.5 "
             r"default_privs root is root or no account\)" % re.escape(D))


def test_alias_command_job_names_no_program(fct):
    """The job queued sends lspawn names the alias, never the command:
    the state file of a deferred job holds ":archive", no command."""
    fct.write_aliases("postmaster: alice\narchive: \"|/bin/sh -c 'exit 75'\""
                      "\n")
    send(fct, ["archive@" + D])
    wait_log(fct, r"status=deferred \(4\.3\.0 temporary failure\)")
    state = os.path.join(fct.queue, "state")
    text = H.wait_until(lambda: [open(os.path.join(state, n), "rb").read()
                                 for n in os.listdir(state)] or None, 30,
                        "a state file")[0]
    assert b"L:archive\0" in text and b"exit 75" not in text
    assert BOB
