"""
facteur_harness: a throw-away facteur instance in a temporary root, for the
integration tests (through conftest.py) and for bench/ (imported directly).
Standard library only, no pytest: errors are raised as HarnessError or
AssertionError and the callers decide what they mean.

An instance is a directory tree:

    ROOT/                0755, so that test users can reach their homes
      etc/facteur.conf   root 0644 when root (the set-id rule of enqueue)
      etc/users          passwd-file: alice, bob, carol (+ extras)
      etc/aliases        sendmail format
      libexec/           copies of $FACTEUR_BUILD programs; as root,
                         enqueue is owned by facteur-queue, mode 4711,
                         and libexec/facteur.conf -> ../etc/facteur.conf
                         is the configuration it reads for any user
                         (its installed one: enqueue(8))
      queue/             queue_dir (0700, owner queue_user)
      home/<user>/       0700, owned by the user
      log/queued.log     stderr of queued and everything it starts
      control/queued     queued's control socket (control_dir)
      log/commands.log   argv, exit code and stderr of every helper run
      run/               1777 scratch space (wrappers' marker files)

As root, the system users facteur-queue and fct-alice, fct-bob, fct-carol
are created with useradd when missing; the users table maps alice, bob and
carol to them.  As an ordinary user every entry uses the caller's uid and
gid, queue_user is the caller, and privilege changes are skipped by the
programs themselves.

This module is the Instance; the rest of the harness is in harness_host.py
(root or not, environment, HarnessError), harness_users.py (accounts),
harness_wait.py (wait_until), harness_crash.py (crash signals and log
lines), harness_util.py (/proc, test messages, Postfix) and
harness_syscall.py (making a process make a system call, for the
sandbox tests), and every name of theirs is re-exported here: tests use
H.<name>.
"""
import os
import pwd
import re  # noqa: F401 (tests use H.re)
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import uuid  # noqa: F401 (tests use H.uuid)

from harness_crash import (  # noqa: F401 (re-exported)
    CRASH_SIGNALS, SANITIZER_RE, CRASH_RE)
from harness_host import (  # noqa: F401 (re-exported)
    IS_ROOT, HarnessError, base_env, reachable_tmpdir)
from harness_users import (  # noqa: F401 (re-exported)
    ensure_user, User, password_hash)
from harness_util import (  # noqa: F401 (re-exported)
    DOMAIN, proc_stat, proc_comm, proc_uids, alive, children, descendants,
    cpu_ticks, make_message, envelope, header_block, tag_of, is_bounce,
    postfix_install, smtpd_monitors)
from harness_wait import POLL, wait_until  # noqa: F401 (re-exported)
from harness_syscall import (  # noqa: F401 (re-exported)
    make_syscall, killed_by_sigsys, proc_sandbox,
    syscall_injection_supported)

BUILD = os.environ.get("FACTEUR_BUILD", "")
QUEUE_USER = "facteur-queue"
TEST_USERS = ("alice", "bob", "carol")
LOGIN_PREFIX = "fct-"
PROGRAMS = ("enqueue", "queued", "sendmail", "lspawn", "deliver",
            "smtpd", "facteur", "facteurctl", "pop3d", "pop3session", "smtpsession",
            "imapd", "imapsession", "rspawn")
REMOTE_USER = "facteur-remote"
QUEUE_SUBDIRS = ("msg", "tmp", "env", "state")


class Instance:
    """One facteur instance in its own temporary root."""

    def __init__(self, conf=None, aliases=None, extra_users=None,
                 users=TEST_USERS, make_maildirs=True, create_queue_dir=True,
                 base=None):
        if not BUILD or not os.path.isdir(BUILD):
            raise HarnessError("FACTEUR_BUILD (%r) is not a build directory"
                               % BUILD)
        self.build = os.path.abspath(BUILD)
        self.root = tempfile.mkdtemp(prefix="facteur-it-",
                                     dir=base or reachable_tmpdir())
        os.chmod(self.root, 0o755)
        self.etc = self._dir("etc", 0o755)
        self.libexec = self._dir("libexec", 0o755)
        self.home = self._dir("home", 0o755)
        self.logdir = self._dir("log", 0o755)
        self.rundir = self._dir("run", 0o1777)
        self.queue = os.path.join(self.root, "queue")
        self.conf_path = os.path.join(self.etc, "facteur.conf")
        self.users_path = os.path.join(self.etc, "users")
        self.aliases_path = os.path.join(self.etc, "aliases")
        self.log_path = os.path.join(self.logdir, "queued.log")
        self.cmdlog_path = os.path.join(self.logdir, "commands.log")
        self.queued = None
        self.queued_pids = []       # every queued started, for the record
        self.problems = []          # crashes and misbehaviour seen
        self.expected_crashes = []  # pids a test killed on purpose
        self.mounts = []
        self._lock = threading.Lock()
        self._known_children = {}

        if IS_ROOT:
            q = ensure_user(QUEUE_USER, system=True)
            self.queue_uid, self.queue_gid = q.pw_uid, q.pw_gid
            self.queue_user = QUEUE_USER
            self.remote_user = ensure_user(REMOTE_USER, system=True).pw_name
        else:
            self.queue_uid, self.queue_gid = os.getuid(), os.getgid()
            self.queue_user = pwd.getpwuid(os.getuid()).pw_name
            self.remote_user = self.queue_user
        # rspawn's chroot: empty, root's (mode 0755)
        self.empty = self._dir("empty", 0o755)

        self.users = {}
        for name in users:
            self.add_user(name, make_maildir=make_maildirs, write=False)
        for name, (uid, gid) in (extra_users or {}).items():
            self.add_user(name, uid=uid, gid=gid, make_maildir=False,
                          write=False)
        self.write_users()
        self.write_aliases(aliases if aliases is not None else
                           "postmaster: alice\nteam: alice, bob\n"
                           "root: alice\n")
        self.install_programs()
        if create_queue_dir:
            os.mkdir(self.queue, 0o700)
            os.chmod(self.queue, 0o700)
            if IS_ROOT:
                os.chown(self.queue, self.queue_uid, self.queue_gid)
        self.conf = {
            "myhostname": DOMAIN,
            "local_domains": "$myhostname, localhost",
            "queue_dir": self.queue,
            "program_dir": self.libexec,
            "users_file": self.users_path,
            "system_users": "no",
            "aliases_file": self.aliases_path,
            "queue_user": self.queue_user,
            "first_valid_uid": str(1000 if IS_ROOT
                                   else max(1, min(1000, os.getuid()))),
            "maildir": "Maildir",
            "queue_scan_interval": "5s",
            "queue_retry_min": "1s",
            "queue_retry_max": "2s",
            "queue_lifetime": "1h",
            "log_debug": "yes",
            # queued's control socket (facteurctl queue, mailq): one
            # directory per instance
            "control_dir": os.path.join(self.root, "control"),
            # never the system resolver: a closed port on loopback, so a
            # lookup fails at once unless a test brings its own server
            "dns_resolver": "127.0.0.1:1",
            "dns_timeout": "2s",
            "smtp_user": self.remote_user,
            "smtp_chroot": self.empty,
            # FACTEUR_SANDBOX=report: a test run that names the calls a
            # role's list lacks (facteur.conf(5), sandbox)
            "sandbox": os.environ.get("FACTEUR_SANDBOX", "enforce"),
        }
        self.conf.update(conf or {})
        self.write_conf()

    # ----- setup

    def _dir(self, name, mode):
        p = os.path.join(self.root, name)
        os.mkdir(p)
        os.chmod(p, mode)
        return p

    def add_user(self, name, uid=None, gid=None, make_maildir=True,
                 write=True):
        home = os.path.join(self.home, name)
        if uid is None:
            if IS_ROOT:
                pw = ensure_user(LOGIN_PREFIX + name)
                login, uid, gid = pw.pw_name, pw.pw_uid, pw.pw_gid
            else:
                login = pwd.getpwuid(os.getuid()).pw_name
                uid, gid = os.getuid(), os.getgid()
        else:
            try:
                login = pwd.getpwuid(uid).pw_name
            except KeyError:
                login = None
        os.mkdir(home, 0o700)
        if make_maildir:
            for sub in ("", "/new", "/cur", "/tmp"):
                os.mkdir(home + "/Maildir" + sub, 0o700)
        if IS_ROOT:
            for dp, dns, fns in os.walk(home):
                os.chown(dp, uid, gid)
        u = User(name, login, uid, gid, home)
        self.users[name] = u
        if write:
            self.write_users()
        return u

    def write_users(self):
        h = password_hash("secret-" + "x")
        lines = ["%s:%s:%d:%d::%s::" % (u.name, h, u.uid, u.gid, u.home)
                 for u in self.users.values()]
        self._write_root_file(self.users_path, "\n".join(lines) + "\n")

    def write_aliases(self, text):
        self._write_root_file(self.aliases_path, text)

    def write_conf(self, **over):
        """Writes etc/facteur.conf; "@ROOT@" in a value is the instance's
        root (a test's conf={"log_file": "@ROOT@/log/maillog"})."""
        self.conf.update(over)
        for k, v in self.conf.items():
            if isinstance(v, str) and "@ROOT@" in v:
                self.conf[k] = v.replace("@ROOT@", self.root)
        text = "# written by facteur_harness\n" + "".join(
            "%s = %s\n" % (k, v) for k, v in self.conf.items()
            if v is not None)
        self._write_root_file(self.conf_path, text)

    def _write_root_file(self, path, text):
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)

    def install_programs(self):
        for p in PROGRAMS:
            src = os.path.join(self.build, p)
            if not os.path.isfile(src):
                continue
            dst = os.path.join(self.libexec, p)
            shutil.copyfile(src, dst)
            if IS_ROOT and p == "enqueue":
                os.chown(dst, self.queue_uid, self.queue_gid)
                os.chmod(dst, 0o4711)
            else:
                os.chmod(dst, 0o755)
        if IS_ROOT:
            # The set-uid enqueue reads, for an ordinary caller, only the
            # configuration installed beside it (enqueue(8)).
            os.symlink(os.path.relpath(self.conf_path, self.libexec),
                       os.path.join(self.libexec, "facteur.conf"))
        if os.path.exists(os.path.join(self.libexec, "sendmail")):
            for alias in ("mailq", "newaliases"):
                os.symlink("sendmail", os.path.join(self.libexec, alias))

    def program(self, name):
        p = os.path.join(self.libexec, name)
        if not os.path.exists(p):
            raise HarnessError("program %s is not built in %s"
                               % (name, self.build))
        return p

    def mount_tmpfs(self, path, size, nr_inodes=None):
        """Mounts a tmpfs of `size` (and nr_inodes inodes) on path (root
        only)."""
        opts = "size=%s,mode=0700,uid=%d,gid=%d" % (
            size, self.queue_uid, self.queue_gid)
        if nr_inodes is not None:
            opts += ",nr_inodes=%d" % nr_inodes
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs",
                            path], capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("mount tmpfs: " + r.stderr.strip())
        self.mounts.append(path)

    # ----- queued

    def start_queued(self, wait=True, extra_args=()):
        if self.queued is not None and self.queued.poll() is None:
            raise HarnessError("queued already running")
        argv = [self.program("queued"), "-d", "-C", self.conf_path]
        argv += list(extra_args)
        log = open(self.log_path, "ab")
        log.write(("=== harness: start %s\n" % " ".join(argv)).encode())
        log.flush()
        self.queued = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=base_env({"FACTEUR_CONF": self.conf_path}),
            start_new_session=True, cwd="/")
        log.close()
        self.queued_pids.append(self.queued.pid)
        if wait:
            trig = os.path.join(self.queue, "trigger")
            # queued makes the FIFO before it binds its control socket
            # (that is done after the keeper starts): wait for both, so
            # that a test may talk to the socket at once
            sock = os.path.join(self.conf.get("control_dir", ""), "queued")

            def ready():
                if self.queued.poll() is not None:
                    raise AssertionError(
                        "queued exited with %s at start-up; log:\n%s"
                        % (self.queued.returncode, self.log_tail()))
                try:
                    if not stat.S_ISFIFO(os.stat(trig).st_mode):
                        return False
                except OSError:
                    return False
                if not os.path.isabs(sock):
                    return True
                # one a queued before this one left refuses: connect
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(sock)
                    return True
                except OSError:
                    return False
                finally:
                    s.close()
            wait_until(ready, 30, "queued to create queue/trigger and "
                       "its control socket")
        return self.queued

    def lspawn_pid(self, timeout=30):
        """The pid of the lspawn that the running queued started."""
        def find():
            for c in descendants(self.queued.pid):
                if proc_comm(c) == "lspawn":
                    return c
            return None
        return wait_until(find, timeout, "lspawn to run under queued")

    def _remember_tree(self):
        if self.queued is None or self.queued.poll() is not None:
            return
        for c in descendants(self.queued.pid):
            st = proc_stat(c)
            if st is not None:
                self._known_children[c] = st[19]   # starttime

    def _same_process(self, pid, starttime):
        st = proc_stat(pid)
        return st is not None and st[19] == starttime and st[0] != "Z"

    def stop_queued(self, sig=signal.SIGTERM, timeout=20):
        """Stops queued with sig (SIGKILL after timeout); then waits for the
        processes it had started to go, killing leftovers by pid."""
        if self.queued is None:
            return None
        p = self.queued
        self._remember_tree()
        if p.poll() is None:
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.problems.append("queued did not exit %ss after signal %d"
                                     % (timeout, sig))
                p.kill()
                p.wait()
        rc = p.returncode
        if rc < 0 and -rc in CRASH_SIGNALS:
            self.problems.append("queued died of signal %d" % -rc)
        self.queued = None
        return rc

    def kill_queued(self):
        """SIGKILL to queued only (as a crash would); returns the pids of
        what it had started, which are left alone."""
        self._remember_tree()
        kids = dict(self._known_children)
        self.queued.kill()
        self.queued.wait()
        self.queued = None
        return kids

    def wait_children_gone(self, kids, timeout=30):
        """Waits for processes {pid: starttime} to exit; returns those
        still running after timeout."""
        try:
            wait_until(lambda: not any(self._same_process(p, s)
                                       for p, s in kids.items()),
                       timeout, "children of queued to exit")
            return []
        except AssertionError:
            return [p for p, s in kids.items() if self._same_process(p, s)]

    def cleanup_processes(self):
        left = self.wait_children_gone(self._known_children, 10)
        for pid in left:
            self.problems.append("pid %d (%s) still running after queued "
                                 "stopped; killed" % (pid, proc_comm(pid)))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._known_children = {}

    def close(self, keep=False):
        """Stops everything and removes the root (unless keep)."""
        if self.queued is not None and self.queued.poll() is not None:
            self.problems.append("queued exited during the test with %s"
                                 % self.queued.returncode)
        self.stop_queued()
        self.cleanup_processes()
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        self.mounts = []
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def health_problems(self):
        """Sanitizer reports and crashes found in the logs."""
        out = list(self.problems)
        for path in (self.log_path, self.cmdlog_path):
            text = self._read_text(path)
            for line in text.splitlines():
                if SANITIZER_RE.search(line):
                    out.append("%s: %s" % (os.path.basename(path), line))
                elif path == self.log_path and CRASH_RE.search(line) \
                        and not self._expected_crash(line):
                    out.append("%s: %s" % (os.path.basename(path), line))
        return out

    def expect_crash(self, what):
        """A test killed a process on purpose (a sandbox test's SIGSYS):
        the log lines that report its death are no problem.  what is its
        pid (lines naming it, as "[pid]" or a word), or a text the lines
        contain."""
        self.expected_crashes.append(what)

    def _expected_crash(self, line):
        for w in self.expected_crashes:
            if isinstance(w, int):
                if re.search(r"(\[%d\]|\b%d\b)" % (w, w), line):
                    return True
            elif w in line:
                return True
        return False

    # ----- logs

    @staticmethod
    def _read_text(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log(self):
        return self._read_text(self.log_path)

    def log_tail(self, n=60):
        return "\n".join(self.log().splitlines()[-n:])

    def cmdlog(self):
        return self._read_text(self.cmdlog_path)

    def _record(self, argv, rc, err, expect_signal=None):
        with self._lock, open(self.cmdlog_path, "ab") as f:
            f.write(("=== %s -> %s\n" % (" ".join(argv), rc)).encode())
            if err:
                f.write(err if err.endswith(b"\n") else err + b"\n")
        if rc is not None and rc < 0 and -rc in CRASH_SIGNALS \
                and -rc != expect_signal:
            with self._lock:
                self.problems.append("%s died of signal %d"
                                     % (os.path.basename(argv[0]), -rc))

    # ----- running programs

    def user(self, name):
        return self.users[name] if isinstance(name, str) else name

    def _creds(self, user):
        """Popen keyword arguments that run the child as user (root only)."""
        if user is None or not IS_ROOT:
            return {}
        u = self.user(user)
        return {"user": u.uid, "group": u.gid, "extra_groups": []}

    def _env_for(self, user, env):
        e = {"FACTEUR_CONF": self.conf_path}
        if user is not None:
            u = self.user(user)
            e.update({"HOME": u.home, "USER": u.login or u.name,
                      "LOGNAME": u.login or u.name})
        if env:
            e.update(env)
        return base_env(e)

    def run(self, argv, data=b"", user="alice", env=None, timeout=120,
            expect_signal=None):
        """Runs argv as user with data on stdin; CompletedProcess."""
        kw = self._creds(user)
        try:
            r = subprocess.run(argv, input=data, capture_output=True,
                               env=self._env_for(user, env), timeout=timeout,
                               cwd="/", **kw)
        except subprocess.TimeoutExpired as e:
            self._record(argv, "timeout", e.stderr or b"")
            raise AssertionError("%s did not finish within %ss"
                                 % (argv, timeout))
        self._record(argv, r.returncode, r.stderr, expect_signal)
        return r

    def sendmail(self, args, data, user="alice", env=None, timeout=120,
                 prog="sendmail", conf_flag=True):
        argv = [self.program(prog)]
        if conf_flag:
            argv += ["-C", self.conf_path]
        return self.run(argv + list(args), data, user=user, env=env,
                        timeout=timeout)

    def enqueue_raw(self, msg, env_bytes, user="alice", timeout=120,
                    argv=None, expect_signal=None, env=None, cwd="/",
                    preexec=None):
        """Runs enqueue (or argv) with msg on fd 0 and env_bytes on fd 1,
        both pipes written by threads, as qmail-queue is fed; preexec runs
        in the child before the exec (a caller's hostile set-up).
        CompletedProcess with stderr."""
        argv = argv or [self.program("enqueue")]
        mr, mw = os.pipe()
        er, ew = os.pipe()
        kw = self._creds(user)
        if preexec is not None:
            kw["preexec_fn"] = preexec
        try:
            p = subprocess.Popen(argv, stdin=mr, stdout=er,
                                 stderr=subprocess.PIPE,
                                 env=self._env_for(user, env), cwd=cwd,
                                 **kw)
        finally:
            os.close(mr)
            os.close(er)

        def feed(fd, data):
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view[:65536])
                    view = view[n:]
            except OSError:
                pass
            finally:
                os.close(fd)
        ts = [threading.Thread(target=feed, args=(mw, msg), daemon=True),
              threading.Thread(target=feed, args=(ew, env_bytes),
                               daemon=True)]
        for t in ts:
            t.start()
        try:
            err = p.communicate(timeout=timeout)[1]
        except subprocess.TimeoutExpired:
            p.kill()
            err = p.communicate()[1]
            self._record(argv, "timeout", err)
            raise AssertionError("%s did not finish within %ss"
                                 % (argv, timeout))
        for t in ts:
            t.join(10)
        self._record(argv, p.returncode, err, expect_signal)
        return subprocess.CompletedProcess(argv, p.returncode, b"", err)

    def trigger(self):
        """Wakes queued as enqueue does (one byte into queue/trigger)."""
        fd = os.open(os.path.join(self.queue, "trigger"),
                     os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)

    # ----- looking at results

    def maildir(self, user, sub="new"):
        return os.path.join(self.user(user).home, self.conf.get(
            "maildir", "Maildir"), sub)

    def maildir_files(self, user, sub="new"):
        d = self.maildir(user, sub)
        try:
            names = sorted(os.listdir(d))
        except FileNotFoundError:
            return []
        return [os.path.join(d, n) for n in names if not n.startswith(".")]

    def messages(self, user, sub="new"):
        out = []
        for p in self.maildir_files(user, sub):
            try:
                with open(p, "rb") as f:
                    out.append(f.read())
            except FileNotFoundError:
                pass
        return out

    def wait_for_delivery(self, user, count, timeout=30):
        """Waits until user's Maildir new/ holds at least count messages;
        returns their contents."""
        try:
            wait_until(lambda: len(self.maildir_files(user)) >= count,
                       timeout, "%d message(s) for %s" % (count, user))
        except AssertionError as e:
            raise AssertionError("%s (have %d); queue: %s; log tail:\n%s"
                                 % (e, len(self.maildir_files(user)),
                                    self.queue_files(), self.log_tail()))
        return self.messages(user)

    def wait_for_tag(self, user, tag, timeout=30):
        """Waits for the message carrying X-Facteur-Test: tag; returns it."""
        def find():
            for m in self.messages(user):
                if tag_of(m) == tag:
                    return m
            return None
        try:
            return wait_until(find, timeout, "message %s for %s"
                              % (tag, user))
        except AssertionError as e:
            raise AssertionError("%s; queue: %s; log tail:\n%s"
                                 % (e, self.queue_files(), self.log_tail()))

    def queue_files(self):
        """{subdir: [names]} of the queue directory."""
        out = {}
        for sub in QUEUE_SUBDIRS:
            try:
                out[sub] = sorted(os.listdir(os.path.join(self.queue, sub)))
            except FileNotFoundError:
                out[sub] = None
        return out

    def queue_is_empty(self):
        """No message in the queue.  The empty spare files a resident
        smtpd's queue writer keeps in tmp/ (lib/queue/queue_spare.h) are no
        message."""
        return all(not [n for n in v or []
                        if not (sub == "tmp" and n.startswith("spare."))]
                   for sub, v in self.queue_files().items())

    def assert_queue_empty(self, timeout=30):
        try:
            wait_until(self.queue_is_empty, timeout, "an empty queue")
        except AssertionError as e:
            raise AssertionError("%s: %s; log tail:\n%s"
                                 % (e, self.queue_files(), self.log_tail()))

    def count_tags(self, users=None):
        """{tag: number of copies} over the users' Maildirs (new/)."""
        counts = {}
        for u in users or self.users:
            for m in self.messages(u):
                t = tag_of(m)
                counts[t] = counts.get(t, 0) + 1
        return counts
