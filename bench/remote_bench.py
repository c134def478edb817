"""
remote_bench: remote delivery from a full queue to a sink on loopback,
facteur against Postfix's smtp client in the same run.  Run by
bench/run.sh (`make bench`); needs root (Postfix runs as its own users)
and Debian's postfix package (smtp-sink, smtp-source).

Environment: FACTEUR_BUILD (programs), REMOTE_BENCH_N messages per run
(10000), REMOTE_BENCH_SIZE octets per message (4096), REMOTE_BENCH_RUNS
(3), REMOTE_BENCH_POSTFIX (1; 0 skips Postfix).

The sink is Postfix's smtp-sink on 127.0.0.1 (it takes every message and
keeps none; PIPELINING offered, no STARTTLS).  Each run, for each MTA:

  1. fill the queue with N messages of SIZE octets, one recipient each,
     all for one remote domain, while nothing is delivered: smtp-source
     (20 sessions) into the MTA's own smtpd.  facteur: its smtpd started
     per connection, queued not running.  Postfix: a private instance
     (its own config_directory, queue and data directories) whose smtpd
     puts every message on hold (smtpd_data_restrictions = static:HOLD).
  2. start delivery and time it: facteur: start queued (relayhost =
     [127.0.0.1]:SINK); Postfix: postsuper -H ALL (released to the
     deferred queue) and postqueue -f (relayhost the same).  Both then
     deliver from a committed queue, with their default limits
     (20 per destination; facteur's connection cache 2 s, Postfix's on
     demand), TLS off (the sink has none).
  3. wait until the MTA's log has N "status=sent" lines.

Reported, medians over the runs:

  msgs/s       N / (start of delivery to the last status=sent line seen;
               the log is polled every 50 ms)
  cpu/msg      CPU (user+sys) of the MTA's processes per message, in ms:
               /proc/PID/schedstat (run time in ns) of each process of the
               MTA's tree, plus the cutime+cstime (/proc/PID/stat) of its
               reaped children
               (facteur: queued and everything under it: keeper, lspawn,
               rspawn, the SMTP clients; Postfix: master and everything
               under it: qmgr, smtp, ...), sampled before delivery starts
               and when the last message is out.  The sink, the injector
               and the log poller are not in it.
  conns/msg    connections opened per message: delivery log lines
               without conn_use= (the first delivery over a connection;
               both MTAs write conn_use=N for the Nth) over N
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402
from postfix_peer import PostfixPeer  # noqa: E402
from smtpd_fixtures import SmtpdServer, smtpd_conf  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
RCPT = "bench@remote.test"


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("remote bench: %s must be a number" % name)


def say(*a):
    print(*a)
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    """CPU time of pid in seconds: its own from /proc/PID/schedstat (in
    ns: utime and stime in clock ticks would lose up to a tick in each
    of twenty-odd processes), and its reaped children's (cutime, cstime)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            own = int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0
    st = H.proc_stat(pid)
    if st is None:
        return 0.0
    # proc(5) fields 16 and 17; st[0] is field 3
    return own + sum(int(x) for x in st[13:15]) / TICK


def tree_cpu(pid):
    return sum(cpu_seconds(p) for p in [pid] + H.descendants(pid))


def sent_lines(text):
    return [ln for ln in text.splitlines() if "status=sent" in ln
            and RCPT in ln]


def wait_sent(read_log, n, timeout):
    """Polls the log until n deliveries; returns the time they were seen."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(sent_lines(read_log())) >= n:
            return time.monotonic()
        time.sleep(0.05)
    raise H.HarnessError("only %d of %d delivered in %d s"
                         % (len(sent_lines(read_log())), n, timeout))


def inject(port, n, size):
    """smtp-source: n messages of size octets, 20 sessions."""
    r = subprocess.run(["/usr/sbin/smtp-source", "-s", "20", "-m", str(n),
                        "-l", str(size), "-f", "sender@bench.test", "-t",
                        RCPT, "-c", "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise H.HarnessError("smtp-source: %s" % r.stderr[-500:])


class Sink:
    def __init__(self):
        self.port = free_port()
        self.p = subprocess.Popen(
            ["/usr/sbin/smtp-sink", "-u", "nobody", "127.0.0.1:%d"
             % self.port, "1024"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        H.wait_until(self.up, 30, "smtp-sink to listen")

    def up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def run_facteur(sink, n, size):
    inst = H.Instance(conf={
        "relayhost": "[127.0.0.1]:%d" % sink.port,
        "smtp_tls_security_level": "none",
        "mynetworks": "127.0.0.0/8",
        "log_debug": "no",
        "queue_retry_min": "5m",
        "queue_retry_max": "1h",
    })
    srv = None
    try:
        # queued lays the queue out (msg/, tmp/, env/ ...), then stops:
        # the messages wait, committed, until it starts again
        inst.start_queued()
        inst.stop_queued()
        smtpd_conf(inst)
        srv = SmtpdServer(inst)
        inject(srv.port, n, size)
        srv.close()
        srv = None
        with open(inst.log_path, "ab") as f:
            f.truncate(0)
        t0 = time.monotonic()
        inst.start_queued(wait=False)
        pid = inst.queued.pid
        t1 = wait_sent(inst.log, n, 1800)
        cpu = tree_cpu(pid)
        lines = sent_lines(inst.log())
        return (t1 - t0, cpu,
                sum("conn_use=" not in ln for ln in lines))
    finally:
        if srv is not None:
            srv.close()
        inst.close()


def run_postfix(sink, n, size):
    pf = PostfixPeer(relayhost="[127.0.0.1]:%d" % sink.port, hold=True)
    try:
        inject(pf.port, n, size)
        H.wait_until(lambda: pf.held() >= n, 600, "Postfix to hold %d" % n)
        with open(pf.log, "w"):
            pass
        pid = pf.master_pid()
        before = tree_cpu(pid)
        t0 = time.monotonic()
        pf.cmd("postsuper", "-H", "ALL")
        pf.cmd("postqueue", "-f")
        t1 = wait_sent(pf.maillog, n, 1800)
        cpu = tree_cpu(pid) - before
        lines = sent_lines(pf.maillog())
        return (t1 - t0, cpu,
                sum("conn_use=" not in ln for ln in lines))
    finally:
        pf.stop()


def main():
    n = env_int("REMOTE_BENCH_N", 10000)
    size = env_int("REMOTE_BENCH_SIZE", 4096)
    runs = env_int("REMOTE_BENCH_RUNS", 3)
    with_pf = env_int("REMOTE_BENCH_POSTFIX", 1)
    say("== remote delivery: %d messages of %d octets to smtp-sink, %d "
        "run(s)" % (n, size, runs))
    if not H.IS_ROOT:
        say("  skipped: needs root (Postfix and the users of facteur)")
        return 0
    why = H.postfix_install()
    if why is not None or not os.path.exists("/usr/sbin/smtp-sink"):
        say("  skipped: %s" % (why or "no smtp-sink"))
        return 0
    sink = Sink()
    res = {"facteur": [], "postfix": []}
    try:
        for k in range(runs):
            res["facteur"].append(run_facteur(sink, n, size))
            say("  run %d facteur: %.0f msgs/s, %.3f ms cpu/msg, %.3f "
                "conns/msg" % (k + 1, n / res["facteur"][-1][0],
                               res["facteur"][-1][1] * 1000 / n,
                               res["facteur"][-1][2] / n))
            if with_pf:
                res["postfix"].append(run_postfix(sink, n, size))
                say("  run %d postfix: %.0f msgs/s, %.3f ms cpu/msg, "
                    "%.3f conns/msg" % (k + 1, n / res["postfix"][-1][0],
                                        res["postfix"][-1][1] * 1000 / n,
                                        res["postfix"][-1][2] / n))
    finally:
        sink.stop()
    say("  medians:")
    med = {}
    for who, rs in res.items():
        if not rs:
            continue
        rate = statistics.median(n / r[0] for r in rs)
        cpu = statistics.median(r[1] * 1000 / n for r in rs)
        conns = statistics.median(r[2] / n for r in rs)
        med[who] = (rate, cpu)
        say("    %-8s %7.0f msgs/s  %6.3f ms cpu/msg  %5.3f conns/msg"
            % (who, rate, cpu, conns))
    if "postfix" in med:
        r = med["facteur"][0] / med["postfix"][0]
        c = med["facteur"][1] / med["postfix"][1]
        say("    ratio facteur/Postfix: rate %.2f, cpu/msg %.2f; issue 12's "
            "aim (rate >= 1 and cpu < 1): %s" % (r, c, "met" if r >= 1 and
                                                c < 1 else "not met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
