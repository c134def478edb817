"""
facteurctl: `passwd` prints users_file hashes that crypt(3) (through
Python's crypt module) and `openssl passwd` agree with, from a pipe and
from a terminal; `check` names FILE:LINE of every mistake in facteur.conf,
the users table and the aliases table, and passes a good configuration;
the queue subcommands say so when queued cannot be reached (exit 69).
"""
import os
import pty
import re
import select
import signal
import subprocess
import time
import warnings

import pytest

import facteur_harness as H

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:     # Python 3.13 removed it
        crypt = None


@pytest.fixture
def ctl():
    path = os.path.join(H.BUILD, "facteurctl")
    if not os.path.exists(path):
        pytest.fail("facteurctl is not built in %s" % H.BUILD)
    return path


def run(ctl, *args, data=b"", env=None):
    e = H.base_env(env)
    return subprocess.run([ctl] + list(args), input=data,
                          capture_output=True, env=e, timeout=60)


def crypt_ok(password, hashed):
    if crypt is None:
        pytest.skip("Python's crypt module is not available")
    return crypt.crypt(password, hashed) == hashed


# ------------------------------------------------------------------ passwd

@pytest.mark.parametrize("scheme,prefix", [
    (None, "{YESCRYPT}$y$"),
    ("yescrypt", "{YESCRYPT}$y$"),
    ("sha512", "{SHA512-CRYPT}$6$"),
    ("sha256", "{SHA256-CRYPT}$5$"),
    ("bcrypt", "{BLF-CRYPT}$2b$10$"),
])
def test_passwd_schemes(ctl, scheme, prefix):
    args = ["passwd"] + (["-s", scheme] if scheme else [])
    r = run(ctl, *args, data=b"correct horse\n")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.endswith("\n") and out.count("\n") == 1
    h = out.strip()
    assert h.startswith(prefix)
    assert b"correct horse" not in r.stdout + r.stderr
    hashed = h[h.index("}") + 1:]
    assert crypt_ok("correct horse", hashed)
    assert not crypt_ok("correct horsf", hashed)
    # a fresh salt each time
    r2 = run(ctl, *args, data=b"correct horse\n")
    assert r2.stdout.decode().strip() != h


def test_passwd_sha512_matches_openssl(ctl):
    r = run(ctl, "passwd", "-s", "sha512", data=b"p4ss w0rd\n")
    assert r.returncode == 0, r.stderr
    h = r.stdout.decode().strip()[len("{SHA512-CRYPT}"):]
    salt = h.split("$")[2]
    o = subprocess.run(["openssl", "passwd", "-6", "-salt", salt,
                        "-stdin"], input=b"p4ss w0rd\n",
                       capture_output=True)
    if o.returncode != 0:
        pytest.skip("openssl passwd -6 failed: %s" % o.stderr.decode())
    assert o.stdout.decode().strip() == h


def test_passwd_one_line_only(ctl):
    # Only the first line counts; no newline at the end is fine too.
    r = run(ctl, "passwd", data=b"first\nsecond\n")
    assert r.returncode == 0
    h = r.stdout.decode().strip()[len("{YESCRYPT}"):]
    assert crypt_ok("first", h)
    r = run(ctl, "passwd", data=b"no-newline")
    assert r.returncode == 0
    assert crypt_ok("no-newline", r.stdout.decode().strip()[10:])


@pytest.mark.parametrize("data,why", [
    (b"", b"no password"),
    (b"\n", b"empty password"),
    (b"pass\r\n", b"CR in the password"),
    (b"pa\0ss\n", b"NUL byte"),
    (b"x" * 512 + b"\n", b"too long"),
])
def test_passwd_bad_input(ctl, data, why):
    r = run(ctl, "passwd", data=data)
    assert r.returncode == 1
    assert r.stdout == b""
    assert why in r.stderr


def test_passwd_longest(ctl):
    r = run(ctl, "passwd", "-s", "sha512", data=b"y" * 511 + b"\n")
    assert r.returncode == 0, r.stderr
    assert crypt_ok("y" * 511, r.stdout.decode().strip()[14:])


def test_passwd_usage(ctl):
    r = run(ctl, "passwd", "-s", "md5", data=b"x\n")
    assert r.returncode == 64
    assert b"unknown scheme md5" in r.stderr
    assert r.stdout == b""
    assert run(ctl, "passwd", "extra", data=b"x\n").returncode == 64
    assert run(ctl, "passwd", "-x", data=b"x\n").returncode == 64


def _pty_run(ctl, answers, timeout=20):
    """Runs facteurctl passwd on a terminal, answering each prompt once.

    A prompt is answered when one more "password:" has appeared than has
    been answered, not whenever the output ends with a colon: a prompt
    that arrives in two reads would otherwise be answered twice, and
    readpassphrase(3) discards the surplus line when it restores the
    terminal, leaving the next prompt unanswered.  The program is killed
    if it is still running at the deadline."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(ctl, [ctl, "passwd"], H.base_env())
    out = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    answered = 0
    status = None
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if (pending and out.lower().count(b"password:") > answered
                    and out.rstrip().endswith(b":")):
                os.write(fd, pending.pop(0) + b"\n")
                answered += 1
    finally:
        done, status = os.waitpid(pid, os.WNOHANG)
        grace = time.monotonic() + 5
        while done == 0 and time.monotonic() < grace:
            time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def test_passwd_terminal(ctl):
    rc, out = _pty_run(ctl, [b"tty secret", b"tty secret"])
    assert rc == 0, out
    assert b"Password:" in out and b"Retype password:" in out
    assert b"tty secret" not in out     # no echo
    m = re.search(rb"\{YESCRYPT\}(\S+)", out)
    assert m, out
    assert crypt_ok("tty secret", m.group(1).decode())


def test_passwd_terminal_mismatch(ctl):
    rc, out = _pty_run(ctl, [b"one", b"two"])
    assert rc == 1
    assert b"passwords differ" in out
    assert b"{YESCRYPT}" not in out


# ------------------------------------------------------------------- check

def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def good_setup(tmp_path, extra=""):
    h = "{CRYPT}" + (crypt.crypt("pw", crypt.mksalt(crypt.METHOD_SHA512))
                     if crypt else "$6$x$y")
    users = write(tmp_path / "users",
                  "# the users\nalice:%s:5000:5000::/home/alice::\n"
                  "bob:%s:5001:5001::/home/bob::\n" % (h, h))
    aliases = write(tmp_path / "aliases",
                    "postmaster: alice\nteam: alice, bob\n")
    conf = write(tmp_path / "facteur.conf",
                 "# test\nusers_file = %s\naliases_file = %s\n%s"
                 % (users, aliases, extra))
    return str(conf), str(users), str(aliases)


def test_check_ok(ctl, tmp_path):
    conf, _, _ = good_setup(tmp_path)
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "%s: ok\n" % conf
    assert r.stderr == b""
    # $FACTEUR_CONF when there is no -C
    r = run(ctl, "check", env={"FACTEUR_CONF": conf})
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().endswith("facteur.conf: ok\n")


def test_check_bad_conf(ctl, tmp_path):
    conf, users, aliases = good_setup(tmp_path)
    write(conf, "users_file = %s\n# fine\nno_such_key = 1\n"
          "first_valid_uid = abc\nlog_debug = maybe\n"
          "users_file = %s\n" % (users, users))
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert r.stdout == b""
    for line in (3, 4, 5, 6):
        assert "%s:%d: " % (conf, line) in err, (line, err)
    for line in (1, 2):
        assert "%s:%d: " % (conf, line) not in err, (line, err)
    assert "no_such_key" in err


def test_check_bad_aliases(ctl, tmp_path):
    conf, users, aliases = good_setup(tmp_path)
    write(aliases, "postmaster: alice\nteam alice\n# c\nok: bob\n"
          ": nobody\n")
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "%s:2: " % aliases in err, err
    assert "%s:5: " % aliases in err, err
    assert "%s:1:" % aliases not in err
    assert "%s:4:" % aliases not in err
    assert r.stdout == b""


def test_check_bad_users(ctl, tmp_path):
    conf, users, aliases = good_setup(tmp_path)
    good = open(users).read().splitlines()[1]
    h = good.split(":")[1]
    write(users, "\n".join([
        good,                                          # 1
        "bob:{SSHA}abcdef:5001:5001::/home/bob::",    # 2 unknown scheme
        "carol:{PLAIN}pw:5002:5002::/home/carol::",   # 3 plain, not allowed
        "dave:%s:12x:5003::/home/dave::" % h,          # 4 bad uid
        "erin:{YESCRYPT}%s:5004:5004::/e::" % h[7:],   # 5 scheme/hash differ
        "frank:!:5005:5005::/home/frank::",            # 6 locked
        "root:%s:0:0::/root::" % h,                    # 7 warning only
        "gina:%s:5006:5006::relative::" % h,           # 8 home not absolute
    ]) + "\n")
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 1
    err = r.stderr.decode()
    for line in (2, 3, 4, 5, 6, 8):
        assert "%s:%d: " % (users, line) in err, (line, err)
    assert "%s:1: " % users not in err
    assert "%s:7: warning: " % users in err
    assert "secret" not in err
    # {PLAIN} is fine once allowed
    write(conf, open(conf).read() + "auth_allow_plain_hashes = yes\n")
    err = run(ctl, "-C", conf, "check").stderr.decode()
    assert "%s:3: " % users not in err


def test_check_warning_only_passes(ctl, tmp_path):
    conf, users, _ = good_setup(tmp_path)
    h = open(users).read().splitlines()[1].split(":")[1]
    write(users, "root:%s:0:0::/root::\n" % h)
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 0, r.stderr
    assert b"warning" in r.stderr
    assert r.stdout.decode() == "%s: ok\n" % conf


def test_check_missing_files(ctl, tmp_path):
    r = run(ctl, "-C", str(tmp_path / "nope.conf"), "check")
    assert r.returncode == 1
    assert b"nope.conf" in r.stderr
    conf = write(tmp_path / "facteur.conf",
                 "users_file = %s\n" % (tmp_path / "no-users"))
    r = run(ctl, "-C", str(conf), "check")
    assert r.returncode == 1
    assert b"no-users" in r.stderr


def test_check_harness_instance(ctl, fct):
    """The configuration every other integration test runs with."""
    r = run(ctl, "-C", fct.conf_path, "check")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "%s: ok\n" % fct.conf_path


def test_check_usage(ctl, tmp_path):
    conf, _, _ = good_setup(tmp_path)
    assert run(ctl, "-C", conf, "check", "extra").returncode == 64


# ------------------------------------------------------------- the rest

def test_queue_without_queued(ctl, tmp_path):
    """With no queued to ask (no control socket), the queue commands say
    so and exit 69 (test_queue_tools.py tests them with one)."""
    conf, _, _ = good_setup(tmp_path)
    with open(conf, "a") as f:
        f.write("control_dir = %s\n" % (tmp_path / "nowhere"))
    for args in (["list"], ["flush"], ["hold", "ALL"], ["delete", "ALL"]):
        r = run(ctl, "-C", conf, "queue", *args)
        assert r.returncode == 69, (args, r.stderr)
        assert b"cannot reach queued" in r.stderr, r.stderr


def test_usage(ctl):
    for args in ([], ["frobnicate"], ["queue"], ["queue", "explode"],
                 ["-Z", "check"]):
        r = run(ctl, *args)
        assert r.returncode == 64, args
        assert b"usage:" in r.stderr



def test_check_mynetworks_and_sender_logins(ctl, tmp_path):
    """check also names a mynetworks word that is no address or CIDR
    block, and the lines of a bad sender_login_file, as smtpd would
    refuse them at start."""
    senders = write(tmp_path / "senders",
                    "alias@facteur.test alice,bob\nno-value-here\n")
    conf, _, _ = good_setup(
        tmp_path, "mynetworks = 10.0.0.0/8, 192.0.2.0/33, ::1\n"
        "sender_login_file = %s\n" % senders)
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "mynetworks: not an address or CIDR block: 192.0.2.0/33" in err
    assert "10.0.0.0/8" not in err and "::1" not in err
    assert "%s:2: " % senders in err, err
    assert "%s:1:" % senders not in err
    # the same files, mended, pass
    write(senders, "alias@facteur.test alice,bob\n")
    conf, _, _ = good_setup(
        tmp_path, "mynetworks = 10.0.0.0/8, [2001:db8::]/32\n"
        "sender_login_file = %s\n" % senders)
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 0, r.stderr


def test_check_local_routing(ctl, tmp_path):
    """The keys of local routing and virtual_alias_maps are checked."""
    virtual = write(tmp_path / "virtual",
                    "info@vdom.test alice\n@vdom2.test bob\nnovalue\n")
    conf, _, _ = good_setup(tmp_path, (
        "virtual_alias_maps = %s\nmailbox_format = mbx\n"
        "allow_mail_to_commands = alias, everywhere\n"
        "default_privs = root\nrecipient_delimiter = + \n"
        % virtual))
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "%s:3: missing value" % virtual in err, err
    assert "mailbox_format must be maildir or mbox, not mbx" in err, err
    assert "default_privs: root is root" in err, err
    conf, _, _ = good_setup(tmp_path, (
        "allow_mail_to_commands = alias, everywhere\n"))
    err = run(ctl, "-C", conf, "check").stderr.decode()
    assert "allow_mail_to_commands: everywhere is not alias, forward or " \
        "include" in err, err
    conf, _, _ = good_setup(tmp_path, (
        "local_domains = a.test\nvirtual_alias_domains = a.test\n"))
    err = run(ctl, "-C", conf, "check").stderr.decode()
    assert "a.test is in virtual_alias_domains and in local_domains" in err
    conf, _, _ = good_setup(tmp_path, (
        "mailbox_format = mbox\nmail_spool_directory = %s\n"
        % (tmp_path / "no-spool")))
    err = run(ctl, "-C", conf, "check").stderr.decode()
    assert "mail_spool_directory: %s is not a directory" \
        % (tmp_path / "no-spool") in err
    write(virtual, "info@vdom.test alice\n")
    conf, _, _ = good_setup(tmp_path, (
        "virtual_alias_maps = %s\nvirtual_alias_domains = vdom.test\n"
        "recipient_delimiter = +-\n" % virtual))
    r = run(ctl, "-C", conf, "check")
    assert r.returncode == 0, r.stderr
