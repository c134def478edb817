"""
smtp_bench: SMTP figures for `make bench` (run by bench/run.sh after the
queue bench).  See bench/README.md for what each figure means.

  1. facteur as `make run` starts it (the master `facteur -d -C conf`,
     smtp_listen and smtps_listen on free loopback ports, a throw-away root
     built by tests/integration/facteur_harness.py), driven by
     bench/smtp_load (C, built here into $FACTEUR_BUILD/bench/) at
     concurrency 1, 10 and 50 with 4 KB messages: accepted messages/s,
     messages/s into the Maildir, latency from the connection's first byte
     to the 250 and to the delivered file's mtime, and the memory of one
     idle smtpd session (monitor and session, VmRSS and Pss).
  2. Postfix 3.7 (Debian's package, root only) as a private instance with
     the same load at concurrency 10, and the ratio facteur/Postfix;
     smtp-source (from the postfix package) as a cross-check on both.
  3. TLS: handshakes/s against smtps (openssl s_time, full and resumed),
     messages/s over STARTTLS at concurrency 10 beside plaintext.

Environment: FACTEUR_BUILD; SMTP_BENCH_N messages per run (2000),
SMTP_BENCH_CONC concurrency levels ("1,10,50"), SMTP_BENCH_RUNS (3),
SMTP_BENCH_SIZE octets (4096), SMTP_BENCH_PER_CONN messages per connection
(1), SMTP_BENCH_PIPELINING (0), SMTP_BENCH_POSTFIX (1; 0 skips Postfix),
SMTP_BENCH_STIME seconds per s_time case (5).
"""
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")

BUILD = os.path.abspath(os.environ.get("FACTEUR_BUILD", ""))
LOAD = os.path.join(BUILD, "bench", "smtp_load")
RCPT_USER = "alice"
RCPT = "%s@%s" % (RCPT_USER, H.DOMAIN)
HARDEN = ["-std=c17", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
          "-Wshadow", "-Wformat=2", "-O2", "-g", "-D_FORTIFY_SOURCE=2",
          "-fstack-protector-strong", "-fPIE", "-fstack-clash-protection",
          "-fcf-protection", "-pie", "-Wl,-z,relro,-z,now"]


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("smtp bench: %s must be a number" % name)


def say(*a):
    print(*a)
    sys.stdout.flush()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


def build_load():
    os.makedirs(os.path.dirname(LOAD), exist_ok=True)
    src = os.path.join(HERE, "smtp_load.c")
    if os.path.exists(LOAD) and os.stat(LOAD).st_mtime >= os.stat(src).st_mtime:
        return
    cmd = [os.environ.get("CC", "cc")] + HARDEN + ["-o", LOAD, src,
                                                   "-lssl", "-lcrypto",
                                                   "-pthread"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("smtp bench: building smtp_load failed:\n%s" % r.stderr)


def parse_load(out):
    m = re.search(r"sent=(\d+) failed=(\d+) conns=(\d+) resumed=(\d+) "
                  r"elapsed=([\d.]+) rate=([\d.]+) p50=([\d.]+) "
                  r"p99=([\d.]+)", out)
    if not m:
        return None
    k = ("sent", "failed", "conns", "resumed", "elapsed", "rate", "p50",
         "p99")
    return {a: float(b) for a, b in zip(k, m.groups())}


def load_argv(port, n, c, size, extra=()):
    argv = [LOAD, "-p", str(port), "-c", str(c), "-n", str(n), "-s",
            str(size), "-r", RCPT, "-m",
            str(env_int("SMTP_BENCH_PER_CONN", 1)), "-w", "120"]
    if env_int("SMTP_BENCH_PIPELINING", 0):
        argv.append("-P")
    return argv + list(extra)


def maildir_count(d):
    try:
        return sum(1 for n in os.listdir(d) if not n.startswith("."))
    except FileNotFoundError:
        return 0


def clear_maildir(d):
    for n in os.listdir(d):
        try:
            os.unlink(os.path.join(d, n))
        except FileNotFoundError:
            pass


def delivery_latencies(d):
    """Seconds from X-Bench-Start (just before connect) to each delivered
    file's mtime (the end of its write, before the link into new/)."""
    out = []
    for n in os.listdir(d):
        p = os.path.join(d, n)
        try:
            with open(p, "rb") as f:
                head = f.read(8192)
            mt = os.stat(p).st_mtime_ns
        except OSError:
            continue
        m = re.search(rb"\nX-Bench-Start: (\d+)\r?\n", head)
        if m:
            out.append((mt - int(m.group(1))) / 1e9)
    out.sort()
    return out


def tree_cpu(root):
    """CPU seconds (user+sys) of the process tree under root: for every
    live process, its own times and those of the children it has reaped
    (/proc/PID/stat utime, stime, cutime, cstime).  A process that exits
    moves its times into its parent's cutime/cstime, so the sum only
    grows, and a difference covers every process that ran in between."""
    if root is None:
        return 0.0
    return sum(H.cpu_ticks(p) for p in [root] + H.descendants(root)) / TICK


def queue_cpu(root):
    """The part of tree_cpu(root) under facteur's queued (queued, lspawn
    and the deliveries); 0 for a tree without queued (Postfix)."""
    if root is None:
        return 0.0
    for p in H.children(root):
        if H.proc_comm(p) == "queued":
            return tree_cpu(p)
    return 0.0


def drive(port, maildir, n, c, size, extra=(), wait_delivery=True,
          deadline=600, root=None):
    """One load run; polls the Maildir every 10 ms while it goes.  Returns
    the load generator's figures plus maildir_rate, delivery latency and
    the server's CPU per 1000 messages (process tree under root)."""
    clear_maildir(maildir)
    cpu0, qcpu0 = tree_cpu(root), queue_cpu(root)
    recs = tempfile.NamedTemporaryFile(prefix="smtp-load-", delete=False)
    recs.close()
    argv = load_argv(port, n, c, size, extra) + ["-o", recs.name]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    done_ns = None
    end = time.monotonic() + deadline
    while wait_delivery and time.monotonic() < end:
        if maildir_count(maildir) >= n:
            done_ns = time.time_ns()
            break
        if p.poll() is not None and p.returncode != 0:
            break
        time.sleep(0.01)
    try:
        out, err = p.communicate(timeout=max(10, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    r = parse_load(out)
    try:
        with open(recs.name) as f:
            starts = [int(line.split()[1]) for line in f if line.strip()]
    finally:
        os.unlink(recs.name)
    if r is None or r["sent"] < n:
        return None, "load: rc %s %s %s" % (p.returncode, out.strip(),
                                            err.strip()[-300:])
    if wait_delivery:
        if done_ns is None:
            return None, "only %d of %d in the Maildir" % (
                maildir_count(maildir), n)
        t0 = min(starts)
        r["maildir_rate"] = n / ((done_ns - t0) / 1e9)
        lat = delivery_latencies(maildir)
        r["dlat50"] = pct(lat, 0.5)
        r["dlat99"] = pct(lat, 0.99)
        r["cpu"] = (tree_cpu(root) - cpu0) * 1000.0 / n
        # facteur: delivery side (queued tree) and the rest (master,
        # smtpd monitor and session, enqueue)
        r["qcpu"] = (queue_cpu(root) - qcpu0) * 1000.0 / n
    return r, None


def median_of(results, k):
    return statistics.median(x[k] for x in results)


# ------------------------------------------------------------- facteur

class Facteur:
    def __init__(self):
        self.inst = H.Instance(conf={"queue_scan_interval": "60s",
                                     "log_debug": "no"})
        inst = self.inst
        self.port = free_port()
        self.sport = free_port()
        empty = os.path.join(inst.root, "empty")
        os.mkdir(empty, 0o755)
        if H.IS_ROOT:
            H.ensure_user("facteur-smtpd", system=True)
            smtpd_user = "facteur-smtpd"
        else:
            import pwd
            smtpd_user = pwd.getpwuid(os.getuid()).pw_name
        cert = os.path.join(inst.etc, "cert.pem")
        key = os.path.join(inst.etc, "key.pem")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-days", "2", "-subj", "/CN=localhost", "-keyout", key,
             "-out", cert], capture_output=True, text=True)
        if r.returncode != 0:
            raise H.HarnessError("openssl req: " + r.stderr)
        os.chmod(key, 0o600)
        inst.write_conf(**{
            "smtp_listen": "127.0.0.1:%d" % self.port,
            "smtps_listen": "127.0.0.1:%d" % self.sport,
            "smtpd_user": smtpd_user,
            "smtpd_chroot": empty,
            "max_sessions": "500",
            "max_sessions_per_client": "500",
            "tls_cert_file": cert,
            "tls_key_file": key,
            "tls_ticket_key_file": os.path.join(inst.etc, "tickets"),
            "restart_delay": "1s",
            "shutdown_grace": "5s",
        })
        log = open(inst.log_path, "ab")
        self.proc = subprocess.Popen(
            [inst.program("facteur"), "-d", "-C", inst.conf_path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=H.base_env(), start_new_session=True, cwd="/")
        log.close()
        H.wait_until(lambda: self.proc.poll() is not None or
                     "started, configuration" in inst.log(), 30,
                     "the master to listen")
        if self.proc.poll() is not None:
            raise H.HarnessError("facteur exited: " + inst.log_tail())
        trig = os.path.join(inst.queue, "trigger")
        H.wait_until(lambda: os.path.exists(trig), 30, "queued to start")
        self.maildir = inst.maildir(RCPT_USER)

    def sessions(self):
        """[(monitor pid, [session pids])] of running smtpd's: children
        of the resident smtpd servers (or of the master itself, for
        sessions it started per connection or inherited)."""
        tops = []
        for p in H.children(self.proc.pid):
            comm = H.proc_comm(p)
            if comm == "smtpd":
                tops.append(p)
            elif comm == "smtpd-resident":
                tops.extend(c for c in H.children(p)
                            if H.proc_comm(c) == "smtpd")
        return [(p, [c for c in H.children(p) if H.proc_comm(c) == "smtpd"])
                for p in tops]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.inst.close()


def proc_mem(pid):
    """(VmRSS, Pss, private) of pid in kB.  private is
    Private_Clean + Private_Dirty: the memory only this process holds,
    what one more session costs the machine; Pss adds its share of the
    pages it shares (libraries, the resident's copy-on-write memory)."""
    rss = pss = priv = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    priv += int(line.split()[1])
    except OSError:
        pass
    return rss, pss, priv


def idle_memory(fct, flags=()):
    """Memory of one idle session (greeting and EHLO read, after STARTTLS
    with flags ["-t"]), 3 samples."""
    H.wait_until(lambda: not fct.sessions(), 60, "sessions to end")
    samples = []
    for _ in range(3):
        p = subprocess.Popen([LOAD, "-p", str(fct.port), "-I"] + list(flags),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        try:
            if p.stdout.readline().strip() != "ready":
                return None
            time.sleep(0.2)
            sess = H.wait_until(lambda: [s for s in fct.sessions() if s[1]],
                                10, "the idle session")
            mon, kids = sess[0]
            samples.append((proc_mem(mon), proc_mem(kids[0])))
        finally:
            p.stdin.write("\n")
            p.stdin.close()
            p.wait(30)
        H.wait_until(lambda: not fct.sessions(), 30, "the session to end")
    med = lambda f: statistics.median(f(s) for s in samples)  # noqa: E731
    return {"mon_rss": med(lambda s: s[0][0]), "mon_pss": med(lambda s: s[0][1]),
            "mon_priv": med(lambda s: s[0][2]),
            "ses_rss": med(lambda s: s[1][0]), "ses_pss": med(lambda s: s[1][1]),
            "ses_priv": med(lambda s: s[1][2])}


def postfix_idle_memory(post):
    """Postfix's smtpd memory while one client sits idle after EHLO: the
    median over its smtpd processes (the one serving and those kept for
    reuse are the same program in the same state)."""
    p = subprocess.Popen([LOAD, "-p", str(post.port), "-I"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        if p.stdout.readline().strip() != "ready":
            return None
        time.sleep(0.2)
        pids = [q for q in H.descendants(post.master_pid())
                if H.proc_comm(q) == "smtpd"]
        mems = [proc_mem(q) for q in pids]
    finally:
        p.stdin.write("\n")
        p.stdin.close()
        p.wait(30)
    if not mems:
        return None
    return tuple(statistics.median(m[i] for m in mems) for i in range(3))


def warm_up(port, maildir, size):
    """An unmeasured run first, so that both servers start measured runs
    with their processes and caches warm (Postfix keeps its smtpd and
    cleanup processes; the page cache holds facteur's programs)."""
    r, err = drive(port, maildir, 100, 10, size)
    if r is None:
        say("  warm-up FAILED: %s" % err)


def bench_plain(port, maildir, n, levels, size, runs, label, root=None,
                extra=()):
    res = {}
    for c in levels:
        rs = []
        for i in range(runs):
            r, err = drive(port, maildir, n, c, size, extra, root=root)
            if r is None:
                say("  %s c=%d run %d FAILED: %s" % (label, c, i + 1, err))
                continue
            rs.append(r)
            say("  %s c=%-2d run %d: accepted %6.1f/s, maildir %6.1f/s, "
                "conn->250 p50 %.3fs p99 %.3fs, conn->maildir p50 %.3fs "
                "p99 %.3fs, cpu %.2fs/1000" % (
                    label, c, i + 1, r["rate"], r["maildir_rate"], r["p50"],
                    r["p99"], r["dlat50"], r["dlat99"], r["cpu"]))
        if rs:
            res[c] = {k: median_of(rs, k) for k in rs[0]}
    return res


def smtp_source(port, n, c, size, maildir=None):
    """smtp-source's own run, timed from outside (accepted msgs/s)."""
    exe = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if not os.path.exists(exe):
        return None
    if maildir:
        clear_maildir(maildir)
    t0 = time.monotonic()
    r = subprocess.run([exe, "-s", str(c), "-m", str(n), "-l", str(size),
                        "-f", "bench@bench.test", "-t", RCPT,
                        "127.0.0.1:%d" % port], capture_output=True,
                       text=True, timeout=600)
    el = time.monotonic() - t0
    if r.returncode != 0:
        return None
    if maildir:
        # let every copy land so that the next run starts from an empty box
        try:
            H.wait_until(lambda: maildir_count(maildir) >= n, 300,
                         "smtp-source's messages", interval=0.05)
        except AssertionError:
            pass
        clear_maildir(maildir)
    return n / el


# ------------------------------------------------------------- Postfix

class Postfix:
    """A private Postfix: own config_directory, queue, SMTP on a free
    loopback port, virtual(8) delivery into one Maildir as a fixed uid."""

    def __init__(self, uid, gid):
        self.dir = tempfile.mkdtemp(prefix="facteur-bench-postfix-",
                                    dir=H.reachable_tmpdir())
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.vmail = os.path.join(self.dir, "vmail")
        self.log = os.path.join(self.dir, "maillog")
        self.port = free_port()
        for d in (self.conf, self.queue, self.data, self.vmail):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix")
        box = os.path.join(self.vmail, RCPT_USER, "Maildir")
        for sub in ("", "/new", "/cur", "/tmp"):
            os.makedirs(box + sub, exist_ok=True)
        for dp, _, _ in os.walk(self.vmail):
            os.chown(dp, uid, gid)
        self.maildir = box + "/new"
        cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-days", "2", "-subj", "/CN=localhost", "-keyout", key,
             "-out", cert], capture_output=True, text=True)
        if r.returncode != 0:
            raise H.HarnessError("openssl req: " + r.stderr)
        os.chmod(key, 0o600)
        src = "/usr/share/postfix/master.cf.dist"
        if not os.path.exists(src):
            src = "/etc/postfix/master.cf"
        out = ["127.0.0.1:%d inet n - n - - smtpd" % self.port]
        with open(src) as f:
            for ln in f.read().splitlines():
                if re.match(r"^(smtp|submission|smtps)\s+inet\b", ln):
                    continue
                # no chroot: a private queue_directory has no etc/ copies
                m = re.match(r"^(\S+\s+\S+\s+\S+\s+\S+\s+)(\S+)(\s.*)$", ln)
                if m and not ln.startswith("#") and m.group(2) in ("y", "-"):
                    ln = m.group(1) + "n" + m.group(3)
                out.append(ln)
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(out) + "\n")
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "postfix.test",
            "mydestination": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.dir,
            "alias_maps": "",
            "alias_database": "",
            "virtual_mailbox_domains": H.DOMAIN,
            "virtual_mailbox_base": self.vmail,
            "virtual_mailbox_maps": "static:%s/Maildir/" % RCPT_USER,
            "virtual_uid_maps": "static:%d" % uid,
            "virtual_gid_maps": "static:%d" % gid,
            "virtual_minimum_uid": "100",
            # STARTTLS offered, as facteur's smtpd will; the plaintext
            # runs do not use it
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": "%s, %s" % (key, cert),
            "smtpd_recipient_restrictions":
                "permit_mynetworks, reject_unauth_destination",
        }
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self.run("check")
        self.run("start")
        H.wait_until(self.listening, 30, "postfix to listen")

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def run(self, *args):
        r = subprocess.run(["/usr/sbin/postfix", "-c", self.conf] +
                           list(args), capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise H.HarnessError("postfix %s: %s %s" % (
                args, r.stdout, r.stderr))

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def version(self):
        r = subprocess.run(["/usr/sbin/postconf", "-c", self.conf, "-h",
                            "mail_version"], capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self):
        pid = None
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
        subprocess.run(["/usr/sbin/postfix", "-c", self.conf, "stop"],
                       capture_output=True, timeout=120)
        if pid is not None:
            try:
                H.wait_until(lambda: not H.alive(pid), 30, "postfix to stop")
            except AssertionError:
                say("  postfix master %d ignored stop; killed" % pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------- TLS

def s_time(port, mode, secs):
    """(handshakes per wall-clock second, resumed, total) by openssl
    s_time; mode is -new or -reuse (with -tls1_2)."""
    argv = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port,
            "-time", str(secs), mode]
    if mode == "-reuse":
        argv.append("-tls1_2")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=secs + 60)
    el = time.monotonic() - t0
    m = re.findall(r"(\d+) connections in [\d.]+s", r.stdout)
    if r.returncode != 0 or not m:
        return None
    n = int(m[-1])
    # progress characters: 'r' for a resumed session, '*' for a new one
    prog = "".join(ln for ln in r.stdout.splitlines()
                   if re.fullmatch(r"[r*]+", ln.strip() or "x"))
    return n / el, prog.count("r"), n


def tls_available(fct):
    """(smtps ok, STARTTLS ok) by probing each with smtp_load -I."""
    def probe(flag, port):
        try:
            p = subprocess.run([LOAD, "-p", str(port), "-I", flag, "-w", "10"],
                               input="\n", capture_output=True, text=True,
                               timeout=30)
            return p.returncode == 0
        except subprocess.TimeoutExpired:
            return False
    return probe("-T", fct.sport), probe("-t", fct.port)


# ------------------------------------------------------------- main

def main():
    if not os.path.isdir(BUILD):
        sys.exit("smtp bench: FACTEUR_BUILD is not a directory")
    n = env_int("SMTP_BENCH_N", 2000)
    runs = max(1, env_int("SMTP_BENCH_RUNS", 3))
    size = env_int("SMTP_BENCH_SIZE", 4096)
    stime = max(1, env_int("SMTP_BENCH_STIME", 5))
    levels = [int(x) for x in os.environ.get("SMTP_BENCH_CONC",
                                             "1,10,50").split(",") if x]
    build_load()
    say("")
    say("smtp bench: %d messages of %d octets per run, concurrency %s, "
        "%d runs, %s" % (n, size, ",".join(map(str, levels)), runs,
                         "as root" if H.IS_ROOT else "unprivileged"))
    t_start = time.monotonic()
    fct = Facteur()
    plain = {}
    try:
        say("facteur (master, smtpd mx mode, queued, lspawn, deliver):")
        warm_up(fct.port, fct.maildir, size)
        plain = bench_plain(fct.port, fct.maildir, n, levels, size, runs,
                            "facteur", fct.proc.pid)
        batch = bench_plain(fct.port, fct.maildir, n, [10], size, runs,
                            "facteur -m10 -P", fct.proc.pid,
                            ["-m", "10", "-P"]).get(10)
        mem = idle_memory(fct)
        ss = smtp_source(fct.port, n, 10, size, fct.maildir)
        tls_res = bench_tls(fct, n, size, runs, stime)
    finally:
        fct.stop()
        if fct.inst.health_problems():
            say("smtp bench: programs misbehaved: %s"
                % fct.inst.health_problems()[:5])

    pf, pf_ss, pf_note, pf_batch, pf_tls = None, None, None, None, None
    pf_mem = None
    if not env_int("SMTP_BENCH_POSTFIX", 1):
        pf_note = "skipped (SMTP_BENCH_POSTFIX=0)"
    elif not H.IS_ROOT:
        pf_note = "skipped: a private Postfix needs root"
    else:
        pf_note = H.postfix_install()
    if pf_note is None:
        u = fct.inst.users[RCPT_USER]
        try:
            post = Postfix(u.uid, u.gid)
        except (H.HarnessError, AssertionError, OSError) as e:
            post, pf_note = None, "could not start: %s" % str(e)[-300:]
        if post is not None:
            try:
                say("Postfix %s (private instance, virtual(8) into Maildir):"
                    % post.version())
                warm_up(post.port, post.maildir, size)
                pf = bench_plain(post.port, post.maildir, n, [10], size,
                                 runs, "postfix", post.master_pid())
                pf_batch = bench_plain(post.port, post.maildir, n, [10],
                                       size, runs, "postfix -m10 -P",
                                       post.master_pid(),
                                       ["-m", "10", "-P"]).get(10)
                pf_ss = smtp_source(post.port, n, 10, size, post.maildir)
                pf_mem = postfix_idle_memory(post)
                pf_tls = bench_plain(post.port, post.maildir, n, [10], size,
                                     runs, "postfix STARTTLS",
                                     post.master_pid(), ["-t"]).get(10)
            finally:
                post.stop()

    say("")
    say("SMTP summary (median of %d runs, %d messages of %d octets):"
        % (runs, n, size))
    say("  %-20s %10s %10s %19s %19s %9s" % (
        "", "accepted/s", "maildir/s", "conn->250 p50/p99", "conn->Maildir "
        "p50/p99", "cpu/1000"))

    def row(name, r):
        if r is None:
            say("  %-20s failed" % name)
            return
        say("  %-20s %10.1f %10.1f %8.3f / %-8.3f %8.3f / %-8.3f %8.2fs"
            % (name, r["rate"], r["maildir_rate"], r["p50"], r["p99"],
               r["dlat50"], r["dlat99"], r["cpu"]))
    for c in levels:
        row("facteur c=%d" % c, plain.get(c))
    row("facteur c=10 -m10 -P", batch)
    for name, r in [("c=%d" % c, plain.get(c)) for c in levels] + \
            [("c=10 -m10 -P", batch)]:
        if r and r["qcpu"]:
            say("    facteur %s cpu/1000 split: master+smtpd+enqueue %.2fs, "
                "queued+lspawn+deliveries %.2fs" % (
                    name, r["cpu"] - r["qcpu"], r["qcpu"]))
    if pf:
        row("Postfix c=10", pf.get(10))
        row("Postfix c=10 -m10 -P", pf_batch)
        row("Postfix c=10 STARTTLS", pf_tls)
    for what, m in (("greeting+EHLO", mem),
                    ("STARTTLS+EHLO", tls_res.get("mem"))):
        if m:
            say("  idle session memory (%s; VmRSS / Pss / private, kB): "
                "monitor %d / %d / %d, session %d / %d / %d, "
                "together %d / %d / %d"
                % (what, m["mon_rss"], m["mon_pss"], m["mon_priv"],
                   m["ses_rss"], m["ses_pss"], m["ses_priv"],
                   m["mon_rss"] + m["ses_rss"], m["mon_pss"] + m["ses_pss"],
                   m["mon_priv"] + m["ses_priv"]))
    if pf_mem:
        say("  Postfix smtpd, one idle client (VmRSS / Pss / private, kB): "
            "%d / %d / %d" % pf_mem)
    if ss:
        say("  smtp-source cross-check, facteur c=10: %.1f accepted/s" % ss)
    if pf and 10 in pf:
        r = pf[10]
        if 10 in plain:
            say("  ratio facteur/Postfix at c=10: accepted %.2f, maildir "
                "%.2f, cpu per message %.2f" % (
                    plain[10]["rate"] / r["rate"],
                    plain[10]["maildir_rate"] / r["maildir_rate"],
                    plain[10]["cpu"] / r["cpu"] if r["cpu"] else 0))
        if batch and pf_batch:
            say("  ratio facteur/Postfix at c=10 -m10 -P: accepted %.2f, "
                "maildir %.2f" % (batch["rate"] / pf_batch["rate"],
                                  batch["maildir_rate"] /
                                  pf_batch["maildir_rate"]))
        if pf_ss:
            say("  smtp-source cross-check, Postfix c=10: %.1f accepted/s"
                % pf_ss)
            if ss:
                say("  ratio facteur/Postfix by smtp-source: %.2f"
                    % (ss / pf_ss))
    else:
        say("  Postfix: %s" % (pf_note or "failed"))
    if pf and 10 in pf and pf_tls:
        say("  Postfix's own TLS cost at c=10 (plaintext/STARTTLS "
            "accepted/s): %.2fx, %d of %d connections resumed"
            % (pf[10]["rate"] / pf_tls["rate"], pf_tls["resumed"],
               pf_tls["conns"]))
        if "msgs" in tls_res:
            say("  ratio facteur/Postfix over STARTTLS at c=10: accepted "
                "%.2f" % (tls_res["msgs"]["rate"] / pf_tls["rate"]))
    for line in tls_summary(tls_res, plain):
        say("  " + line)
    say("smtp bench took %.0f s" % (time.monotonic() - t_start))


def bench_tls(fct, n, size, runs, stime):
    res = {}
    smtps, starttls = tls_available(fct)
    res["smtps"], res["starttls"] = smtps, starttls
    if smtps:
        res["full"] = s_time(fct.sport, "-new", stime)
        res["resumed"] = s_time(fct.sport, "-reuse", stime)
        def hs(r):
            if not r:
                return "n/a"
            return "%.1f/s (%d of %d resumed)" % (r[0], r[1], r[2])
        say("  smtps handshakes: full %s, resumed %s"
            % (hs(res["full"]), hs(res["resumed"])))
    if starttls:
        rs = []
        for i in range(runs):
            r, err = drive(fct.port, fct.maildir, n, 10, size, ["-t"],
                           root=fct.proc.pid)
            if r is None:
                say("  STARTTLS c=10 run %d FAILED: %s" % (i + 1, err))
                continue
            rs.append(r)
            say("  STARTTLS c=10 run %d: accepted %6.1f/s, maildir %6.1f/s, "
                "resumed %d of %d connections" % (i + 1, r["rate"],
                                                  r["maildir_rate"],
                                                  r["resumed"], r["conns"]))
        if rs:
            res["msgs"] = {k: median_of(rs, k) for k in rs[0]}
        res["mem"] = idle_memory(fct, ["-t"])
    return res


def tls_summary(res, plain):
    out = []
    if not res.get("smtps"):
        out.append("TLS handshakes (smtps): not available yet (smtpd does "
                   "not speak implicit TLS in this build)")
    else:
        for k, what in (("full", "full (-new)"),
                        ("resumed", "resumed (-reuse -tls1_2)")):
            v = res.get(k)
            if v:
                out.append("TLS handshakes/s %s: %.1f (%d of %d resumed)"
                           % (what, v[0], v[1], v[2]))
            else:
                out.append("TLS handshakes/s %s: s_time failed" % what)
    if not res.get("starttls"):
        out.append("STARTTLS c=10: not available yet (smtpd does not "
                   "offer STARTTLS in this build)")
    elif "msgs" in res:
        t = res["msgs"]
        out.append("STARTTLS c=10: accepted %.1f/s, maildir %.1f/s, "
                   "%d of %d connections resumed"
                   % (t["rate"], t["maildir_rate"], t["resumed"], t["conns"]))
        if 10 in plain:
            cost = plain[10]["rate"] / t["rate"]
            out.append("TLS cost at c=10 (plaintext/STARTTLS accepted/s): "
                       "%.2fx (target <= 2x: %s)"
                       % (cost, "met" if cost <= 2 else "NOT met"))
    return out


if __name__ == "__main__":
    main()
