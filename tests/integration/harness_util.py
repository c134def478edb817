"""
harness_util: helpers of facteur_harness that need no instance: reading
/proc (process trees, uids, CPU times) and building or recognising test
messages.  facteur_harness re-exports every name, so tests use H.<name>.
"""
import os
import re
import subprocess
import shutil
import uuid

DOMAIN = "facteur.test"


# ------------------------------------------------------------ processes

def proc_stat(pid):
    """Fields of /proc/PID/stat after the comm, as a list (index 0 is the
    state, field 3 of proc(5)); None when the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def proc_uids(pid):
    """(real, effective, saved, fs) uids from /proc/PID/status."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return tuple(int(x) for x in line.split()[1:5])
    raise RuntimeError("no Uid line for %d" % pid)


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def children(pid):
    """Direct children of pid (by ppid in /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st is not None and int(st[1]) == pid:
            out.append(int(d))
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def smtpd_monitors(master_pid):
    """The per-connection smtpd processes (monitors) under a master: its
    own children named smtpd (started per connection, or orphaned by a
    retired resident) and the sessions of its resident servers: their
    smtpd children (smtps, and sessions that went on after STARTTLS)
    and those of their smtpsession."""
    out = []
    for p in children(master_pid):
        comm = proc_comm(p)
        if comm == "smtpd":
            out.append(p)
        elif comm == "smtpd-resident":
            for c in children(p):
                cc = proc_comm(c)
                if cc == "smtpd":
                    out.append(c)
                elif cc == "smtpsession":
                    out.extend(g for g in children(c)
                               if proc_comm(g) == "smtpd")
    return out


def cpu_ticks(pid):
    """utime+stime+cutime+cstime of pid, in clock ticks (0 when gone)."""
    st = proc_stat(pid)
    if st is None:
        return 0
    # proc(5) fields 14-17 are utime stime cutime cstime; st[0] is field 3
    return sum(int(x) for x in st[11:15])



def make_message(tag=None, body=b"hello\n", headers=None, sender=None,
                 to=None, subject=b"test"):
    """A small RFC 5322 message carrying X-Facteur-Test: <tag>."""
    tag = tag or uuid.uuid4().hex
    h = []
    h.append(b"From: " + (sender or ("alice@" + DOMAIN)).encode())
    h.append(b"To: " + (to or ("bob@" + DOMAIN)).encode())
    h.append(b"Subject: " + subject)
    h.append(b"Date: Thu, 27 Nov 2025 10:00:00 +0000")
    h.append(b"Message-ID: <" + tag.encode() + b"@" + DOMAIN.encode() + b">")
    h.append(b"X-Facteur-Test: " + tag.encode())
    for x in headers or ():
        h.append(x if isinstance(x, bytes) else x.encode())
    return tag, b"\n".join(h) + b"\n\n" + body


def envelope(sender, rcpts):
    """qmail-queue envelope bytes: F<sender>\\0 T<rcpt>\\0 ... \\0."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode()
    out = b"F" + b(sender) + b"\0"
    for r in rcpts:
        out += b"T" + b(r) + b"\0"
    return out + b"\0"


def header_block(data):
    """The top-level header section (a bounce quotes the original's)."""
    return re.split(rb"\r?\n\r?\n", data, 1)[0]


def tag_of(data):
    m = re.search(rb"^X-Facteur-Test: (\S+)", header_block(data), re.M)
    return m.group(1).decode() if m else None


def is_bounce(data):
    return data.startswith(b"Return-Path: <>\n")


# ------------------------------------------------------------- Postfix

def postfix_install():
    """Installs Debian's postfix when missing, without starting its system
    service (debconf "No configuration", a policy-rc.d that says no).
    None when /usr/sbin/postfix is there, else the reason it is not."""
    if os.path.exists("/usr/sbin/postfix"):
        return None
    if not shutil.which("apt-get"):
        return "postfix is not installed and there is no apt-get"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["debconf-set-selections"], input=b"postfix "
                   b"postfix/main_mailer_type select No configuration\n",
                   capture_output=True, env=env)
    rc = "/usr/sbin/policy-rc.d"       # keeps the system service stopped
    had_rc = os.path.exists(rc)
    if not had_rc:
        with open(rc, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(rc, 0o755)
    try:
        cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
               "postfix"]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True,
                           env=env)
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    finally:
        if not had_rc:
            os.unlink(rc)
    if not os.path.exists("/usr/sbin/postfix"):
        return "apt-get install postfix failed: %s" % r.stderr.strip()[-200:]
    return None
