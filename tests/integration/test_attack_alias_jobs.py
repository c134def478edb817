"""
What a subverted queued can make lspawn run through the jobs for an
alias's commands and files (user ":NAME", the :include: file in the
extension; deliver/lspawn_alias.c): only the commands and files that the
aliases file (or an :include: file it leads to) gives that alias, as the
identity that file's owner decides, never root and never a uid below
first_valid_uid but default_privs'.  The test plays queued, as
test_attack_queued.py does.
"""
import os
import pwd

import pytest

import facteur_harness as H
from test_attack_queued import (Lspawn, frame, make_queue, new_id,
                                plant_message)

pytestmark = pytest.mark.root_only

D = H.DOMAIN


def alias_job(ls, qid, name, ext="", rcpt=None):
    slot = str(ls.slot)
    ls.slot += 1
    ls.p.stdin.write(frame(["J", slot, qid, "x@example.org",
                            rcpt or "%s@%s" % (name, D), ":" + name, ext,
                            "0"]))
    ls.p.stdin.flush()
    return ls.result(slot)


@pytest.fixture
def setup(fct):
    """An aliases file (root's) whose alias runs a recorder; lspawn."""
    out = os.path.join(fct.rundir, "ran")
    rec = os.path.join(fct.rundir, "rec")
    with open(rec, "w") as f:
        f.write("#!/bin/sh\nid -u >> %s\ncat >/dev/null\n" % out)
    os.chmod(rec, 0o755)
    evil = os.path.join(fct.rundir, "evil")
    with open(evil, "w") as f:
        f.write('"|/bin/sh -c \'id -u > %s.evil\'"\n' % out)
    fct.write_aliases("postmaster: alice\narchive: \"|%s\"\n" % rec)
    make_queue(fct)
    ls = Lspawn(fct)
    qid = new_id()
    plant_message(fct, qid, H.make_message()[1])
    yield fct, ls, qid, out, evil
    ls.close()


def ran(out):
    try:
        with open(out) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


@pytest.mark.facteur(start=False)
def test_queued_runs_only_what_the_aliases_file_says(setup):
    fct, ls, qid, out, evil = setup
    status, text = alias_job(ls, qid, "archive")
    assert status == "K", text
    # as default_privs: root owns the aliases file
    assert ran(out) == [str(pwd.getpwnam("nobody").pw_uid)]
    # no other alias, no user, no :include: file the alias does not name
    for name, ext in (("nosuch", ""), ("alice", ""), ("archive", evil),
                      ("archive", "/etc/shadow"), ("postmaster", "")):
        status, text = alias_job(ls, qid, name, ext)
        assert status == "D", (name, ext, text)
    assert ran(out) == [str(pwd.getpwnam("nobody").pw_uid)]
    assert not os.path.exists(out + ".evil")


@pytest.mark.facteur(start=False)
def test_queued_cannot_choose_the_identity(setup):
    """Whatever the recipient queued names (root's address), the command
    runs as the aliases file's owner decides."""
    fct, ls, qid, out, _ = setup
    status, text = alias_job(ls, qid, "archive", rcpt="root@" + D)
    assert status == "K", text
    assert ran(out) == [str(pwd.getpwnam("nobody").pw_uid)]


@pytest.mark.facteur(start=False)
def test_alias_owner_below_first_valid_uid_is_refused(setup):
    """An aliases file owned by a system account (daemon, uid 1): its
    commands never run as that account."""
    fct, ls, qid, out, _ = setup
    daemon = pwd.getpwnam("daemon")
    os.chown(fct.aliases_path, daemon.pw_uid, daemon.pw_gid)
    status, text = alias_job(ls, qid, "archive")
    assert status == "D", text
    assert "below first_valid_uid" in text
    assert ran(out) == []
