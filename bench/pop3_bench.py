"""
pop3_bench: pop3d under load, beside Dovecot's pop3d when it can be had
(as root: apt-get install dovecot-pop3d, configured on a loopback port
from a temporary config; never touching /etc/dovecot).  Run by
bench/run.sh (`make bench`).

Environment: FACTEUR_BUILD (programs), BENCH_POP3_LOGINS (400 logins),
BENCH_POP3_C (4 parallel clients), BENCH_POP3_MSGS (10000 messages),
BENCH_DOVECOT (1: compare with Dovecot when possible, 0: never).

Measured, for each server, with the same Python poplib client:

  logins/s   BENCH_POP3_C threads each doing connect, USER, PASS
             (a SHA-512 crypt(3) hash), STAT, QUIT, until BENCH_POP3_LOGINS
             sessions are done, over plain POP3 (plaintext login allowed on
             loopback for the bench); wall time of the whole.
  open       connect + login + STAT of a BENCH_POP3_MSGS-message Maildir:
             first session (sizes computed) and second (sizes cached).
  dump       STAT + UIDL + LIST + RETR of every message in one session.
  memory     of the processes serving one idle session (logged in, STAT
             done), measured twice: on a 1-message Maildir and on the
             BENCH_POP3_MSGS-message one.  For each process: VmRSS (from
             /proc/PID/status), Pss (shared pages divided among their
             users) and private (Private_Clean + Private_Dirty), from
             /proc/PID/smaps_rollup; then login + session summed (pop3d:
             the login process and pop3session; the per-connection
             monitor is printed beside, not summed; Dovecot: pop3-login,
             when it stays, and pop3).

facteur's pop3d is started per connection by a Python accept loop (the
inetd way, as the integration tests do), so its logins/s include a
fork+exec from Python; Dovecot runs its own master and listener.
"""
import os
import poplib
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402
import pop3d_fixtures as F  # noqa: E402
import dovecot_instance  # noqa: E402

PASSWORD = F.PASSWORD


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("bench: %s must be a number" % name)


def fill_maildir(home, uid, gid, n):
    cur = os.path.join(home, "Maildir", "cur")
    for sub in ("", "/cur", "/new", "/tmp"):
        os.makedirs(os.path.join(home, "Maildir") + sub, 0o700,
                    exist_ok=True)
    body = b"".join(b"line %d of a typical message body\n" % i
                    for i in range(60))
    for i in range(n):
        p = os.path.join(cur, "%d.M%dP1.bench:2,S" % (1600000000 + i, i))
        with open(p, "wb") as f:
            f.write(b"From: a@b\nSubject: %d\n\n" % i + body)
        if H.IS_ROOT:
            os.chown(p, uid, gid)
    if H.IS_ROOT:
        for dp, _, _ in os.walk(os.path.join(home, "Maildir")):
            os.chown(dp, uid, gid)


def add_login_users(inst, conc):
    """One user per client thread: POP3 locks a mailbox per session."""
    return [inst.add_user("lg%d" % i).name for i in range(conc)]


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
                p = poplib.POP3("127.0.0.1", port, timeout=60)
                p.user(user)
                p.pass_(PASSWORD)
                p.stat()
                p.quit()
            except Exception as e:      # noqa: BLE001
                errors.append(repr(e))
                return
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(users[i],))
          for i in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        print("  login errors: %d, first: %s" % (len(errors), errors[0]))
    return (total - len(errors)) / dt


def open_box(port, user):
    t0 = time.monotonic()
    p = poplib.POP3("127.0.0.1", port, timeout=600)
    p.user(user)
    p.pass_(PASSWORD)
    p.stat()
    dt = time.monotonic() - t0
    p.quit()
    return dt


def dump(port, user, n):
    poplib._MAXLINE = 100000
    t0 = time.monotonic()
    p = poplib.POP3("127.0.0.1", port, timeout=600)
    p.user(user)
    p.pass_(PASSWORD)
    count, size = p.stat()
    assert count == n, (count, n)
    p.uidl()
    p.list()
    got = 0
    for i in range(1, count + 1):
        got += p.retr(i)[2]
    p.quit()
    return time.monotonic() - t0, size


def mem_kb(pid):
    """(VmRSS, Pss, private) in kB: /proc/PID/status, smaps_rollup."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["VmRSS"] = int(line.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k = line.split(":")[0]
                if k in ("Pss", "Private_Clean", "Private_Dirty"):
                    out[k] = int(line.split()[1])
    except OSError:
        pass
    return (out.get("VmRSS", 0), out.get("Pss", 0),
            out.get("Private_Clean", 0) + out.get("Private_Dirty", 0))


def session_mem(port, user, pids_fn):
    """[(role, (VmRSS, Pss, private))] of one idle logged-in session."""
    p = poplib.POP3("127.0.0.1", port, timeout=600)
    p.user(user)
    p.pass_(PASSWORD)
    p.stat()
    time.sleep(0.5)
    r = [(role, mem_kb(pid)) for role, pid in pids_fn(user)]
    p.quit()
    return r


def report(name, lps, open1, open2, dumpt, size, n):
    print("%-8s logins/s %7.1f | open %d msgs: first %.3fs, cached %.3fs "
          "| STAT+UIDL+LIST+RETR all: %.2fs (%.0f msg/s, %.1f MB/s)"
          % (name, lps, n, open1, open2, dumpt, n / dumpt,
             size / dumpt / 1e6))


def report_mem(name, box, mem, summed):
    """One line per mailbox: each process, then the sum of summed."""
    fmt = "%s %d/%d/%d"
    tot = [0, 0, 0]
    for role, m in mem:
        if role.split("-")[0] in summed:
            tot = [a + b for a, b in zip(tot, m)]
    print("%-8s memory, idle session, %s (VmRSS/Pss/private kB): %s; "
          "%s: %d/%d/%d" % (
              name, box, ", ".join(fmt % ((role,) + m) for role, m in mem),
              "+".join(summed), tot[0], tot[1], tot[2]))
    if name == "facteur":
        # what one more idle logged-in session costs (issue 11)
        print("         target, an idle login+session under 2 MB Pss: "
              "%d kB, %s" % (tot[1], "met" if tot[1] < 2048 else "NOT met"))


def bench_facteur(total, conc, n):
    inst = H.Instance()
    try:
        F.pop3_conf(inst, pop3_plaintext_login="yes", log_debug="no")
        srv = F.Pop3dServer(inst)
        fill_maildir(inst.user("bob").home, inst.user("bob").uid,
                     inst.user("bob").gid, n)
        fill_maildir(inst.user("alice").home, inst.user("alice").uid,
                     inst.user("alice").gid, 1)
        lps = logins(srv.port, add_login_users(inst, conc), total, conc)
        open1 = open_box(srv.port, "bob")
        open2 = open_box(srv.port, "bob")
        dumpt, size = dump(srv.port, "bob", n)

        def pids(user):
            """The monitor, then its children: the session is the one
            running pop3session (as the user when root)."""
            out = []
            for m in [p for p in srv.pids() if H.alive(p)]:
                out.append(("monitor", m))
                for c in H.children(m):
                    exe = os.path.basename(os.readlink("/proc/%d/exe" % c))
                    out.append(("session" if exe == "pop3session"
                                else "login", c))
            return out
        # the small box first: the session of the big one has sizes cached
        small = session_mem(srv.port, "alice", pids)
        big = session_mem(srv.port, "bob", pids)
        srv.close()
        report("facteur", lps, open1, open2, dumpt, size, n)
        report_mem("facteur", "1-message Maildir", small,
                   ("login", "session"))
        report_mem("facteur", "%d-message Maildir" % n, big,
                   ("login", "session"))
    finally:
        inst.close()


def bench_dovecot(total, conc, n):
    binary = dovecot_instance.dovecot_binary("dovecot-pop3d",
                                             "/usr/lib/dovecot/pop3")
    if binary is None:
        print("dovecot  not available (needs root and dovecot-pop3d)")
        return
    inst = H.Instance()
    srv = None
    try:
        bob = inst.user("bob")
        fill_maildir(bob.home, bob.uid, bob.gid, n)
        alice = inst.user("alice")
        fill_maildir(alice.home, alice.uid, alice.gid, 1)
        lusers = add_login_users(inst, conc)
        srv = dovecot_instance.Dovecot(inst, binary, "pop3",
                                       extra="pop3_uidl_format = %f")
        port = srv.port
        lps = logins(port, lusers, total, conc)
        open1 = open_box(port, "bob")
        open2 = open_box(port, "bob")
        dumpt, size = dump(port, "bob", n)

        def pids(user):
            """pop3-login processes (one per connection; gone after a
            plain login) and the pop3 process of user."""
            out = []
            uid = inst.user(user).uid
            for c in H.descendants(srv.proc.pid):
                comm = H.proc_comm(c)
                if comm == "pop3-login" or (
                        comm == "pop3" and
                        (not H.IS_ROOT or H.proc_uids(c)[0] == uid)):
                    out.append((comm, c))
            return out
        small = session_mem(port, "alice", pids)
        big = session_mem(port, "bob", pids)
        report("dovecot", lps, open1, open2, dumpt, size, n)
        report_mem("dovecot", "1-message Maildir", small,
                   ("pop3-login", "pop3"))
        report_mem("dovecot", "%d-message Maildir" % n, big,
                   ("pop3-login", "pop3"))
    finally:
        if srv is not None:
            srv.stop()
        inst.close()


def main():
    total = env_int("BENCH_POP3_LOGINS", 400)
    conc = env_int("BENCH_POP3_C", 4)
    n = env_int("BENCH_POP3_MSGS", 10000)
    print("pop3 bench: %d logins by %d clients; a %d-message Maildir"
          % (total, conc, n))
    bench_facteur(total, conc, n)
    if os.environ.get("BENCH_DOVECOT", "1") != "0":
        bench_dovecot(total, conc, n)


if __name__ == "__main__":
    main()
