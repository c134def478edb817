"""
imap_bench: imapd under load, beside Dovecot's imap in the same run
(Debian's dovecot-imapd; as root it is installed with apt-get when
missing; it is started on loopback from a temporary config, never
touching /etc/dovecot).  Run by bench/run.sh (`make bench`).

Environment: FACTEUR_BUILD (programs), BENCH_IMAP_LOGINS (500 logins),
BENCH_IMAP_C (10 clients), BENCH_IMAP_MSGS (20000 messages),
BENCH_IMAP_RUNS (3: each figure is the median of that many runs),
BENCH_DOVECOT (1: compare with Dovecot when possible, 0: never).

Both servers serve the same users (a passwd-file with the same SHA-512
crypt hashes, uid, gid and home) and the same Maildir: the big folder is
filled once, as files in cur/ that a delivery would have written, and
each server keeps its own state beside them (facteur-*, dovecot*).
Plain IMAP on loopback, LOGIN allowed without TLS for both, so that what
is measured is the servers' work, not TLS.  Every client is the same
Python code; FETCH and SEARCH responses are read as raw bytes, so the
client's parsing does not drown the servers' differences.

  logins/s    BENCH_IMAP_C threads each doing connect, greeting, LOGIN,
              LOGOUT until BENCH_IMAP_LOGINS are done, one user each
              (facteur: the master, `facteur -d`, forks imapd per
              connection, which forks the login process and the
              session, which executes imapsession; Dovecot: its master,
              imap-login, auth, imap).
  memory      one idle session, logged in, with INBOX selected: Pss and
              private memory (Private_Clean + Private_Dirty of
              /proc/PID/smaps_rollup) of each process serving it, and
              their sum (facteur: login process and imapsession, the
              per-connection monitor shown beside; Dovecot: imap, and
              imap-login when one stays), on a 1-message INBOX and on
              the BENCH_IMAP_MSGS-message one.
  big folder  on BENCH_IMAP_MSGS messages: connect+LOGIN+SELECT,
              FETCH 1:* (ENVELOPE), UID SEARCH SUBJECT "<word of one
              subject>", each cold (the server's first access after the
              fill: no index, cache or UID list yet; the files themselves
              are in the page cache for both) and warm (a second
              session).  Cold runs use a fresh copy of the folder for
              each server and each run.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402
import imapd_fixtures as F  # noqa: E402
import dovecot_instance  # noqa: E402
import pop3_bench  # noqa: E402

PASSWORD = F.PASSWORD


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("imap bench: %s must be a number" % name)


def say(*a):
    print(*a)
    sys.stdout.flush()


def fill(md, uid, gid, n):
    """n messages in md/cur, as deliveries would have left them."""
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), 0o700, exist_ok=True)
    body = b"".join(b"line %d of a typical message body, with some words "
                    b"in it\n" % i for i in range(40))
    cur = os.path.join(md, "cur")
    for i in range(n):
        p = os.path.join(cur, "%d.M%dP1.bench:2,S" % (1700000000 + i, i))
        with open(p, "wb") as f:
            f.write(b"Return-Path: <sender%d@example.org>\n"
                    b"Received: from mx.example.org by bench.example.test"
                    b" with ESMTPS id A%d; Tue, 1 Dec 2026 10:00:00 +0100\n"
                    b"From: Sender %d <sender%d@example.org>\n"
                    b"To: Bench User <bench@example.test>\n"
                    b"Subject: weekly report number %d about topic%d\n"
                    b"Date: Tue, 1 Dec 2026 10:00:00 +0100\n"
                    b"Message-ID: <%d.bench@example.org>\n"
                    b"MIME-Version: 1.0\n"
                    b"Content-Type: text/plain; charset=us-ascii\n\n"
                    % (i % 97, i, i % 97, i % 97, i, i % 1000, i) + body)
    if H.IS_ROOT:
        for dp, dns, fns in os.walk(md):
            os.chown(dp, uid, gid)
            for fn in fns:
                os.chown(os.path.join(dp, fn), uid, gid)


def clear_state(md):
    """Removes both servers' state beside the messages (a cold start)."""
    for n in os.listdir(md):
        if n.startswith("facteur-") or n.startswith("dovecot"):
            os.unlink(os.path.join(md, n))
    for sub in ("cur", "new"):
        d = os.path.join(md, sub)
        for n in os.listdir(d):
            base = n.split(":2,")[0]
            if n != base + ":2,S":
                os.rename(os.path.join(d, n), os.path.join(md, "cur",
                                                           base + ":2,S"))


class Conn:
    """A raw IMAP client: commands out, the whole response back.  Lines
    are cut from one buffer by position, so that reading a large response
    costs the client little next to the server."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.buf = b""
        self.pos = 0
        self.n = 0
        self.read_line()

    def _more(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("server closed")
        self.buf = self.buf[self.pos:] + d
        self.pos = 0

    def read_line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                ln = self.buf[self.pos:i]
                self.pos = i + 2
                return ln
            self._more()

    def cmd(self, text):
        """Sends it; returns the lines of the response, the tagged line
        last.  Literals are skipped by their length."""
        self.n += 1
        tag = b"t%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = []
        while True:
            ln = self.read_line()
            out.append(ln)
            if ln.endswith(b"}") and b"{" in ln:
                k = int(ln[ln.rindex(b"{") + 1:-1])
                while len(self.buf) - self.pos < k:
                    self._more()
                out.append(self.buf[self.pos:self.pos + k])
                self.pos += k
                continue
            if ln.startswith(tag + b" "):
                if not ln.startswith(tag + b" OK"):
                    raise RuntimeError("%s: %r" % (text, ln))
                return out

    def close(self):
        self.s.close()


def logins(port, users, total, conc):
    left = [total]
    lock = threading.Lock()
    errors = []

    def worker(user):
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            try:
                c = Conn(port)
                c.cmd("LOGIN %s %s" % (user, PASSWORD))
                c.s.sendall(b"x LOGOUT\r\n")
                while c.s.recv(4096):
                    pass
                c.close()
            except Exception as e:      # noqa: BLE001
                errors.append(repr(e))
                return
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(users[i % len(users)],))
          for i in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        say("  login errors: %d, first: %s" % (len(errors), errors[0]))
    return (total - len(errors)) / dt


def big_folder(port, user, n):
    """(login+SELECT, FETCH ENVELOPE, UID SEARCH) seconds."""
    t0 = time.monotonic()
    c = Conn(port)
    c.cmd("LOGIN %s %s" % (user, PASSWORD))
    r = c.cmd("SELECT INBOX")
    t1 = time.monotonic()
    assert b"* %d EXISTS" % n in r, r[:8]
    r = c.cmd("FETCH 1:* (ENVELOPE)")
    t2 = time.monotonic()
    assert len([x for x in r if x.startswith(b"* ")]) == n
    r = c.cmd('UID SEARCH SUBJECT "number %d about"' % (n // 2))
    t3 = time.monotonic()
    assert len(r[0].split()) == 3, r[0]
    c.s.sendall(b"z LOGOUT\r\n")
    c.close()
    return t1 - t0, t2 - t1, t3 - t2


def mem_kb(pid):
    """(Pss, private) in kB (pop3_bench.mem_kb gives VmRSS too)."""
    rss, pss, private = pop3_bench.mem_kb(pid)
    return pss, private


def session_mem(port, user, pids_fn):
    """What one more idle session costs: a first session is opened, so
    that code and libraries are shared as on a busy host, then a second,
    whose processes are measured (after a sync, so that freshly installed
    programs' pages are clean)."""
    os.sync()
    conns = []
    for _ in range(2):
        c = Conn(port)
        c.cmd("LOGIN %s %s" % (user, PASSWORD))
        c.cmd("SELECT INBOX")
        conns.append(c)
    time.sleep(0.5)
    r = [(role, mem_kb(pid)) for role, pid in pids_fn(user)]
    for c in conns:
        c.s.sendall(b"z LOGOUT\r\n")
        c.close()
    return r


def newest(pids):
    """The pid that started last (/proc/PID/stat field 22)."""
    return max(pids, key=lambda p: int(H.proc_stat(p)[19])) if pids else None


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Server:
    """What both servers provide to the measurements."""
    name = ""
    port = 0

    def session_pids(self, user):
        raise NotImplementedError

    def summed(self):
        raise NotImplementedError


class Facteur(Server):
    name = "facteur"

    def __init__(self, inst):
        self.inst = inst
        self.port = dovecot_instance.free_port()
        F.imap_conf(inst, imap_plaintext_login="yes", log_debug="no",
                    imap_listen="127.0.0.1:%d" % self.port,
                    max_sessions="1000", max_sessions_per_client="1000",
                    auth_fail_delay_max="0s", imap_special_use_folders="no")
        log = open(inst.log_path, "ab")
        self.proc = subprocess.Popen(
            [inst.program("facteur"), "-d", "-C", inst.conf_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=H.base_env(), start_new_session=True, cwd="/")
        log.close()
        H.wait_until(lambda: "started, configuration" in inst.log(), 30,
                     "the master to listen")

    def session_pids(self, user):
        out = []
        m = newest([p for p in H.children(self.proc.pid)
                    if H.proc_comm(p) == "imapd"])
        if m is not None:
            out.append(("monitor", m))
            for c in H.children(m):
                try:
                    exe = os.path.basename(os.readlink("/proc/%d/exe" % c))
                except OSError:
                    continue
                out.append(("session" if exe == "imapsession" else "login",
                            c))
        return out

    def summed(self):
        return ("login", "session")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Dovecot(Server, dovecot_instance.Dovecot):
    name = "dovecot"

    def __init__(self, inst, binary):
        dovecot_instance.Dovecot.__init__(self, inst, binary, "imap",
                                          extra="mail_fsync = optimized")

    def session_pids(self, user):
        out = []
        for comm in ("imap-login", "imap"):
            p = newest([c for c in H.descendants(self.proc.pid)
                        if H.proc_comm(c) == comm])
            if p is not None:
                out.append((comm, p))
        return out

    def summed(self):
        return ("imap-login", "imap")


def measure(srv, inst, n, total, conc, runs, big_md, users):
    """Every figure of one server: a dict."""
    res = {"logins": [], "cold": [], "warm": []}
    for _ in range(runs):
        res["logins"].append(logins(srv.port, users, total, conc))
    for _ in range(runs):
        clear_state(big_md)
        res["cold"].append(big_folder(srv.port, "bench", n))
        res["warm"].append(big_folder(srv.port, "bench", n))
    res["mem_small"] = session_mem(srv.port, "alice", srv.session_pids)
    res["mem_big"] = session_mem(srv.port, "bench", srv.session_pids)
    return res


def report(name, res, n, summed):
    say("%-8s logins/s at %s clients: %.1f (runs: %s)" % (
        name, os.environ.get("BENCH_IMAP_C", "10"), median(res["logins"]),
        ", ".join("%.0f" % x for x in res["logins"])))
    for kind in ("cold", "warm"):
        v = res[kind]
        say("%-8s %d messages, %s: login+SELECT %.3fs, FETCH 1:* (ENVELOPE) "
            "%.3fs, UID SEARCH SUBJECT %.3fs" % (
                name, n, kind, median([x[0] for x in v]),
                median([x[1] for x in v]), median([x[2] for x in v])))
    for box, mem in (("1-message INBOX", res["mem_small"]),
                     ("%d-message INBOX" % n, res["mem_big"])):
        tot = [0, 0]
        for role, m in mem:
            if role in summed:
                tot = [a + b for a, b in zip(tot, m)]
        say("%-8s idle session, %s (Pss/private kB): %s; %s: %d/%d" % (
            name, box, ", ".join("%s %d/%d" % ((r,) + m) for r, m in mem),
            "+".join(summed), tot[0], tot[1]))
    return {"logins": median(res["logins"]),
            "cold": [median([x[k] for x in res["cold"]]) for k in range(3)],
            "warm": [median([x[k] for x in res["warm"]]) for k in range(3)],
            "mem": [sum(m[k] for r, m in res["mem_small"] if r in summed)
                    for k in range(2)]}


def compare(f, d):
    """One line per figure: facteur against Dovecot, and whether better."""
    names = ("login+SELECT", "FETCH ENVELOPE", "UID SEARCH SUBJECT")
    say("imap: facteur/dovecot: logins/s %.2f (%s)" % (
        f["logins"] / d["logins"], "better" if f["logins"] > d["logins"]
        else "NOT better"))
    for kind in ("cold", "warm"):
        for k in range(3):
            say("imap: %s %s: %.3fs vs %.3fs, %.2fx (%s)" % (
                kind, names[k], f[kind][k], d[kind][k],
                d[kind][k] / f[kind][k] if f[kind][k] else 0,
                "better" if f[kind][k] < d[kind][k] else "NOT better"))
    say("imap: idle session Pss %d vs %d kB (%s), private %d vs %d kB (%s)"
        % (f["mem"][0], d["mem"][0], "better" if f["mem"][0] < d["mem"][0]
           else "NOT better", f["mem"][1], d["mem"][1],
           "better" if f["mem"][1] < d["mem"][1] else "NOT better"))


def main():
    total = env_int("BENCH_IMAP_LOGINS", 500)
    conc = env_int("BENCH_IMAP_C", 10)
    n = env_int("BENCH_IMAP_MSGS", 20000)
    runs = env_int("BENCH_IMAP_RUNS", 3)
    say("imap bench: %d logins by %d clients; a %d-message folder; "
        "medians of %d runs" % (total, conc, n, runs))
    inst = H.Instance(conf={"log_debug": "no", "queue_scan_interval": "60s"})
    try:
        users = [inst.add_user("lg%d" % i).name for i in range(conc)]
        inst.add_user("bench", make_maildir=False)
        b = inst.user("bench")
        big_md = os.path.join(b.home, "Maildir")
        t0 = time.monotonic()
        fill(big_md, b.uid, b.gid, n)
        say("imap bench: filled %d messages in %.1fs" % (
            n, time.monotonic() - t0))
        fill(os.path.join(inst.user("alice").home, "Maildir"),
             inst.user("alice").uid, inst.user("alice").gid, 1)
        results = {}
        srv = Facteur(inst)
        try:
            results["facteur"] = report("facteur", measure(
                srv, inst, n, total, conc, runs, big_md, users), n,
                srv.summed())
        finally:
            srv.stop()
        binary = None if os.environ.get("BENCH_DOVECOT", "1") == "0" else \
            dovecot_instance.dovecot_binary("dovecot-imapd",
                                            "/usr/lib/dovecot/imap")
        if binary is None:
            say("dovecot  left out (BENCH_DOVECOT=0, or not available: it "
                "needs root and dovecot-imapd)")
            return
        srv = Dovecot(inst, binary)
        try:
            results["dovecot"] = report("dovecot", measure(
                srv, inst, n, total, conc, runs, big_md, users), n,
                srv.summed())
        finally:
            srv.stop()
        compare(results["facteur"], results["dovecot"])
    finally:
        inst.close()


if __name__ == "__main__":
    main()
