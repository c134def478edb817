"""
Delivery to a |command (deliver/local_command.c): Debian's procmail as
the destination, with the extension passed as Postfix's idiom does; the
exit status mapped as Postfix maps sysexits(3) (EX_TEMPFAIL deferred,
EX_NOUSER bounced, an unknown status bounced, a status from the output);
the output in the bounce, cut to its limit; command_time_limit killing
the command and all it started; mailbox_command.
"""
import os
import re

import pytest

import facteur_harness as H
from conftest import need_package
from local_fixtures import (D, ALICE, CAROL, put_home, script, send,
                            wait_bounce, wait_log, wait_file, read_env)

pytestmark = pytest.mark.root_only


def procmail_setup(fct, user="alice"):
    """A procmailrc that files mail for the extension "news" into the
    Maildir++ folder .news, the rest into the Maildir, and copies its
    environment to a file.  procmail runs in mail filter mode (-m), so
    that Debian's set-uid procmail never touches the system's /var/mail.
    Returns (rcfile, envfile)."""
    need_package("procmail")
    h = fct.user(user).home
    env = os.path.join(h, "procmail.env")
    rc = put_home(fct, user, ".procmailrc", (
        "LOGFILE=%(h)s/procmail.log\n"
        "SHELL=/bin/sh\n"
        "ARG=$1\n"
        ":0 c\n"
        "| /usr/bin/env > %(env)s\n"
        ":0\n"
        "* ARG ?? ^^news^^\n"
        "%(h)s/Maildir/.news/\n"
        ":0\n"
        "%(h)s/Maildir/\n") % {"h": h, "env": env})
    return rc, env


def test_procmail_is_the_destination(fct):
    spool_before = sorted(os.listdir("/var/mail"))
    rc, envfile = procmail_setup(fct)
    put_home(fct, "alice", ".forward",
             '"|/usr/bin/procmail -p -m %s \\"$EXTENSION\\""\n' % rc)
    tag, data = send(fct, ["alice+news@" + D])
    tag2, data2 = send(fct, [ALICE])
    fct.assert_queue_empty()
    news = os.path.join(fct.user("alice").home, "Maildir", ".news")
    got = H.wait_until(lambda: [open(os.path.join(news, "new", n), "rb")
                                .read() for n in os.listdir(
                                    os.path.join(news, "new"))]
                       if os.path.isdir(os.path.join(news, "new")) else None,
                       30, "procmail's .news folder")
    assert len(got) == 1 and H.tag_of(got[0]) == tag
    # procmail keeps the From_ line out of a Maildir; our headers are in
    assert got[0].startswith(("Return-Path: <%s>\nDelivered-To: "
                              "alice+news@%s\n" % (CAROL, D)).encode())
    assert got[0].endswith(data)
    fct.wait_for_tag("alice", tag2)
    wait_file(envfile)
    env = read_env(envfile)
    for k, v in (("SENDER", CAROL), ("USER", "alice"), ("DOMAIN", D)):
        assert env.get(k) == v, (k, env)
    assert env["RECIPIENT"] in (ALICE, "alice+news@" + D)
    # the system's spool is none of the test's business
    assert sorted(os.listdir("/var/mail")) == spool_before


@pytest.mark.facteur(conf={"mailbox_command":
                           '/usr/bin/procmail -p -m %s "$EXTENSION"'})
def test_mailbox_command(fct):
    """mailbox_command takes the place of the mailbox, as the user."""
    rc, _ = procmail_setup(fct)
    # the key names the rcfile the harness just wrote
    fct.write_conf(mailbox_command='/usr/bin/procmail -p -m %s "$EXTENSION"'
                   % rc)
    fct.stop_queued()
    fct.start_queued()
    tag, data = send(fct, ["alice+news@" + D])
    news = os.path.join(fct.user("alice").home, "Maildir", ".news", "new")
    H.wait_until(lambda: os.path.isdir(news) and os.listdir(news), 30,
                 "procmail as mailbox_command")
    fct.assert_queue_empty()
    wait_log(fct, r"status=sent \(delivered to command: /usr/bin/procmail")


def command_forward(fct, body):
    """alice's .forward runs a script with body; returns its path."""
    path = script(fct, "cmd", "#!/bin/sh\n" + body)
    put_home(fct, "alice", ".forward", '"|%s"\n' % path)
    return path


@pytest.mark.parametrize("code,dsn,text", [
    (67, "5.1.1", "user unknown"),
    (77, "5.7.0", "permission denied"),
    (78, "5.3.5", "local configuration error"),
    (1, "5.3.0", "command died with status 1"),
])
def test_command_permanent_status_bounces(fct, code, dsn, text):
    command_forward(fct, "cat >/dev/null\necho 'no such box here'\n"
                    "exit %d\n" % code)
    tag, _ = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag)
    assert ("%s %s" % (dsn, text)).encode() in b, b
    assert b"no such box here" in b
    fct.assert_queue_empty()


@pytest.mark.parametrize("code", [75, 71])
def test_command_temporary_status_defers(fct, code):
    """EX_TEMPFAIL and EX_OSERR defer; the next try delivers."""
    flag = os.path.join(fct.rundir, "ok-now")
    out = os.path.join(fct.rundir, "delivered")
    command_forward(fct, "if [ -e %s ]; then cat > %s; exit 0; fi\n"
                    "echo busy; exit %d\n" % (flag, out, code))
    tag, data = send(fct, [ALICE])
    wait_log(fct, r"to=<%s>, relay=local, .*status=deferred \(4\.3\.0 "
             r"(temporary failure|system resource problem)\. Command "
             r"output: busy\)" % re.escape(ALICE))
    open(flag, "w").close()
    assert wait_file(out).endswith(data)
    fct.assert_queue_empty()
    assert fct.messages("carol") == []


def test_command_status_from_output(fct):
    """A non-zero exit whose output begins with an enhanced status code:
    that code decides (4.x.x defers, 5.x.x bounces)."""
    command_forward(fct, "cat >/dev/null; echo '4.2.2 mailbox full'; exit 1\n")
    send(fct, [ALICE])
    wait_log(fct, r"status=deferred \(4\.2\.2 mailbox full\)")
    command_forward(fct, "cat >/dev/null; echo '5.2.1 box disabled'; exit 1\n")
    tag, _ = send(fct, ["alice+x@" + D])
    b = wait_bounce(fct, "carol", tag)
    assert b"5.2.1 box disabled" in b


def test_command_output_is_cut(fct):
    """Only the first 300 octets of the output reach the bounce, control
    bytes made '_', line ends blanks."""
    command_forward(fct, "cat >/dev/null\nprintf 'A\\tB\\033C\\n'\n"
                    "head -c 20000 /dev/zero | tr '\\0' x\nexit 65\n")
    tag, _ = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag)
    m = re.search(rb"5\.6\.0 data format error\. Command output: "
                  rb"A B_C (x+)", b)
    assert m, b
    assert len(m.group(1)) == 300 - len("A B_C ")


def test_command_that_reads_nothing_is_delivered(fct):
    """Postfix's rule: exit 0 without reading the input is a delivery."""
    command_forward(fct, "exit 0\n")
    send(fct, [ALICE], body=b"x" * 300000 + b"\n")
    wait_log(fct, r"status=sent \(delivered to command: ")
    fct.assert_queue_empty()


@pytest.mark.facteur(conf={"command_time_limit": "2s"})
def test_command_time_limit(fct):
    """Past command_time_limit the command and what it started are
    killed, and the mail bounces (5.3.0, as Postfix)."""
    pidfile = os.path.join(fct.rundir, "pids")
    command_forward(fct, "sleep 300 &\necho $! > %s\necho $$ >> %s\n"
                    "sleep 300\n" % (pidfile, pidfile))
    tag, _ = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag)
    assert b"5.3.0 command time limit exceeded" in b
    pids = [int(x) for x in open(pidfile).read().split()]
    H.wait_until(lambda: not any(H.alive(p) for p in pids), 10,
                 "the command's processes to be gone")
    fct.assert_queue_empty()


def test_command_not_found_bounces(fct):
    """A command that the shell cannot find: 127, an unknown status:
    bounced, with the shell's words."""
    put_home(fct, "alice", ".forward", '"|/nonexistent/program"\n')
    tag, _ = send(fct, [ALICE])
    b = wait_bounce(fct, "carol", tag)
    assert b"command died with status 127" in b
    assert b"not found" in b


def test_command_gets_no_spool_group(fct):
    """With mailbox_format = mbox the local child keeps the spool's group
    as a saved gid only; a command it runs has none of it."""
    spool = os.path.join(fct.root, "mail")
    os.mkdir(spool)
    mail_gid = __import__("grp").getgrnam("mail").gr_gid
    os.chown(spool, 0, mail_gid)
    os.chmod(spool, 0o2775)
    fct.write_conf(mailbox_format="mbox", mail_spool_directory=spool)
    fct.stop_queued()
    fct.start_queued()
    out = os.path.join(fct.rundir, "ids")
    command_forward(fct, "cat >/dev/null\n"
                    "grep -E '^(Uid|Gid|Groups)' /proc/self/status > %s\n"
                    % out)
    put_home(fct, "alice", ".forward", '"|%s", \\alice\n'
             % os.path.join(fct.rundir, "cmd"))
    send(fct, [ALICE])
    text = wait_file(out).decode()
    u = fct.user("alice")
    assert re.search(r"^Gid:\t%d\t%d\t%d\t%d$" % ((u.gid,) * 4), text,
                     re.M), text
    assert re.search(r"^Groups:\t%d ?$" % u.gid, text, re.M), text
    assert str(mail_gid) not in text.split("Gid:")[1]
    wait_file(os.path.join(spool, "alice"))
    fct.assert_queue_empty()
