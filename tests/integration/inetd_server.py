"""
inetd_server: a loopback listener that starts one program per connection
with the connection on its stdin and stdout, as inetd (`nowait`),
tcpserver and systemd's Accept=yes do.  The program's stderr (its log,
with -d) goes to the instance's queued.log, so the harness's crash and
sanitizer checks cover it.
"""
import socket
import subprocess
import threading

import facteur_harness as H


class InetdServer:
    def __init__(self, inst, program, args=(), user=None, wait=20):
        self.inst = inst
        self.program = program
        self.args = list(args)
        self.wait = wait
        self.creds = {}
        if user is not None:
            self.creds = {"user": user.uid, "group": user.gid,
                          "extra_groups": []}
        self.procs = []
        self.lock = threading.Lock()
        self.closed = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        log = open(self.inst.log_path, "ab")
        try:
            while not self.closed:
                try:
                    conn, _ = self.sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    break
                conn.settimeout(None)
                argv = [self.inst.program(self.program), "-d", "-C",
                        self.inst.conf_path] + self.args
                try:
                    p = subprocess.Popen(
                        argv, stdin=conn.fileno(), stdout=conn.fileno(),
                        stderr=log, cwd="/", close_fds=True, **self.creds,
                        env=H.base_env({"FACTEUR_CONF":
                                        self.inst.conf_path}))
                finally:
                    conn.close()
                with self.lock:
                    self.procs.append(p)
        finally:
            log.close()

    def pids(self):
        with self.lock:
            return [p.pid for p in self.procs]

    def running(self):
        with self.lock:
            return [p for p in self.procs if p.poll() is None]

    def close(self):
        self.closed = True
        self.thread.join(5)
        self.sock.close()
        with self.lock:
            procs = list(self.procs)
        for p in procs:
            try:
                p.wait(self.wait)
            except subprocess.TimeoutExpired:
                self.inst.problems.append("%s pid %d still running at "
                                          "the end; killed"
                                          % (self.program, p.pid))
                p.kill()
                p.wait()
            rc = p.returncode
            if rc is not None and rc < 0 and -rc in H.CRASH_SIGNALS:
                self.inst.problems.append("%s died of signal %d"
                                          % (self.program, -rc))
