"""
facteur_instance: facteur as the SMTP bench runs it, the way `make run`
starts it: the master `facteur -d -C conf` over a throw-away root of
tests/integration/facteur_harness.py, with smtp_listen and smtps_listen on
free loopback ports, a self-signed certificate, session limits raised for
the load, and the smtpd processes it serves with.
"""
import os
import signal
import subprocess

from smtp_bench_util import free_port, self_signed_cert
from smtp_drive import RCPT_USER
import facteur_harness as H


class Facteur:
    def __init__(self):
        self.inst = H.Instance(conf={"queue_scan_interval": "60s",
                                     "log_debug": "no"})
        inst = self.inst
        self.port = free_port()
        self.sport = free_port()
        empty = inst.empty      # the root's empty directory (0755)
        if H.IS_ROOT:
            H.ensure_user("facteur-smtpd", system=True)
            smtpd_user = "facteur-smtpd"
        else:
            import pwd
            smtpd_user = pwd.getpwuid(os.getuid()).pw_name
        cert, key = self_signed_cert(inst.etc)
        inst.write_conf(**{
            "smtp_listen": "127.0.0.1:%d" % self.port,
            "smtps_listen": "127.0.0.1:%d" % self.sport,
            "smtpd_user": smtpd_user,
            "smtpd_chroot": empty,
            # the idle sessions part holds 10,000 sessions and more;
            # 127.0.0.1 is in mynetworks, so max_sessions_per_client
            # (50 by default) does not apply to the load generators
            "max_sessions": "20000",
            "mynetworks": "127.0.0.0/8",
            "tls_cert_file": cert,
            "tls_key_file": key,
            "tls_ticket_key_file": os.path.join(inst.etc, "tickets"),
            "restart_delay": "1s",
            "shutdown_grace": "5s",
            # SMTP_BENCH_FACTEUR_CONF="key=value,key=value": settings
            # to compare (docs/performance.md)
            **dict(kv.split("=", 1) for kv in os.environ.get(
                "SMTP_BENCH_FACTEUR_CONF", "").split(",") if "=" in kv),
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
        return [(p, [c for c in H.children(p) if H.proc_comm(c) == "smtpd"])
                for p in H.smtpd_monitors(self.proc.pid)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.inst.close()
