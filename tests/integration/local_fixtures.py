"""
local_fixtures: helpers for the tests of local routing (.forward,
aliases in their full form, commands, mbox files, virtual domains).

    from local_fixtures import put_home, send, bounces, script  # noqa
    put_home(fct, "alice", ".forward", "bob\\n")        # owned by alice, 0644
    tag, data = send(fct, ["alice@" + D], sender=CAROL)
    path = script(fct, "record", "#!/bin/sh\\nid -u > $HOME/uid\\n")

Files in a user's home belong to that user, as a user would have made
them; scripts live in the instance's run/ (1777), readable and
executable by everyone, so that any identity (a user, nobody, an alias's
owner) can run them.
"""
import os
import pwd
import re
import time

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D


def put_home(fct, user, name, text, mode=0o644, owner=None):
    """Writes home/name for user (owned by owner, default the user)."""
    u = fct.user(user)
    o = fct.user(owner) if owner is not None else u
    path = os.path.join(u.home, name)
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d, 0o700)
        if H.IS_ROOT:
            os.chown(d, o.uid, o.gid)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if H.IS_ROOT:
        os.chown(path, o.uid, o.gid)
    return path


def script(fct, name, text):
    """An executable script in run/ (mode 0755); its path."""
    path = os.path.join(fct.rundir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def send(fct, rcpts, sender=CAROL, headers=None, body=b"hello\n",
         user="carol"):
    """Queues a test message through enqueue; (tag, data)."""
    tag, data = H.make_message(headers=headers, body=body)
    r = fct.enqueue_raw(data, H.envelope(sender, rcpts), user=user)
    assert r.returncode == 0, r.stderr
    return tag, data


def bounces(fct, user):
    return [m for m in fct.messages(user) if H.is_bounce(m)]


def wait_bounce(fct, user, tag, timeout=30):
    """The bounce that quotes the message tagged tag, in user's Maildir."""
    def find():
        for m in bounces(fct, user):
            if tag.encode() in m:
                return m
        return None
    try:
        return H.wait_until(find, timeout, "a bounce of %s for %s"
                            % (tag, user))
    except AssertionError as e:
        raise AssertionError("%s; log tail:\n%s" % (e, fct.log_tail()))


def wait_log(fct, pattern, timeout=30):
    """Waits for a line of the queue log matching the regex; the match."""
    rx = re.compile(pattern)

    def find():
        for line in fct.log().splitlines():
            m = rx.search(line)
            if m:
                return m
        return None
    try:
        return H.wait_until(find, timeout, "a log line %r" % pattern)
    except AssertionError as e:
        raise AssertionError("%s; log tail:\n%s" % (e, fct.log_tail()))


def wait_file(path, timeout=30, min_size=1):
    """Waits for path to exist with at least min_size octets; its bytes."""
    def ready():
        try:
            if os.path.getsize(path) >= min_size:
                with open(path, "rb") as f:
                    return f.read()
        except OSError:
            pass
        return None
    return H.wait_until(ready, timeout, "file %s" % path)


def read_env(path):
    """A file written by `env`: {name: value}."""
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def nobody():
    return pwd.getpwnam("nobody")


def settle(fct, seconds=1.0):
    """Lets queued finish what it is doing (the queue empty)."""
    fct.assert_queue_empty()
    time.sleep(seconds)
