"""
dnssec_fixtures: a DNSSEC world on loopback for the DANE tests, made of
Debian's own tools, as a real deployment is:

    zones       written here, signed with ldns-keygen and ldns-signzone
                (ldnsutils); zones given unsigned stay so
    nsd         serves them, authoritative, on 127.0.0.1:PORT
    unbound     validates: a stub zone per zone pointing at nsd and the
                signed zones' key as trust anchor; it sets the AD bit on
                what it validated, which is what facteur trusts
                (dns_resolver on loopback)

Each daemon runs in the foreground from a temporary directory, without
chroot or user change, and is stopped (SIGTERM, then SIGKILL) by stop().
"""
import os
import shutil
import signal
import socket
import subprocess
import time

import facteur_harness as H


def _port_udp_tcp():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", 0))
            p = t.getsockname()[1]
            u.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise H.HarnessError("no port free for UDP and TCP")


def spki_sha256(cert_path):
    """The TLSA 3 1 1 data of a certificate: SHA-256 of its SPKI."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout",
                          "-pubkey"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, check=True, capture_output=True).stdout
    return subprocess.run(["openssl", "dgst", "-sha256", "-hex"], input=der,
                          check=True, capture_output=True).stdout.split()[-1] \
        .decode()


class DnssecWorld:
    """zones: {origin: (records text, signed?)}; records use $ORIGIN."""

    def __init__(self, base, zones):
        self.dir = os.path.join(base, "dnssec")
        os.makedirs(self.dir)
        self.procs = []
        self.nsd_port = _port_udp_tcp()
        self.port = _port_udp_tcp()
        anchors = []
        zone_conf = []
        for origin, (records, signed) in zones.items():
            path = os.path.join(self.dir, origin + "zone")
            with open(path, "w") as f:
                f.write("$ORIGIN %s\n$TTL 300\n" % origin)
                f.write("@ IN SOA ns.%s hostmaster.%s 1 3600 600 86400 60\n"
                        % (origin, origin))
                f.write("@ IN NS ns.%s\nns IN A 127.0.0.1\n" % origin)
                f.write(records)
            if signed:
                zsk = self._run(["ldns-keygen", "-a", "ECDSAP256SHA256",
                                 origin]).strip()
                ksk = self._run(["ldns-keygen", "-a", "ECDSAP256SHA256",
                                 "-k", origin]).strip()
                self._run(["ldns-signzone", path, zsk, ksk])
                path += ".signed"
                anchors.append(os.path.join(self.dir, ksk + ".key"))
            zone_conf.append("zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n"
                             % (origin, path))
        self.nsd_conf = os.path.join(self.dir, "nsd.conf")
        with open(self.nsd_conf, "w") as f:
            f.write("server:\n"
                    "\tip-address: 127.0.0.1@%d\n"
                    "\tusername: \"\"\n"
                    "\tchroot: \"\"\n"
                    "\tzonesdir: \"%s\"\n"
                    "\tdatabase: \"\"\n"
                    "\tzonelistfile: \"%s/zone.list\"\n"
                    "\txfrdfile: \"%s/xfrd.state\"\n"
                    "\tpidfile: \"%s/nsd.pid\"\n"
                    "\tlogfile: \"%s/nsd.log\"\n"
                    "\tserver-count: 1\n"
                    "\tverbosity: 1\n"
                    "remote-control:\n\tcontrol-enable: no\n"
                    % (self.nsd_port, self.dir, self.dir, self.dir, self.dir,
                       self.dir) + "".join(zone_conf))
        self.ub_conf = os.path.join(self.dir, "unbound.conf")
        with open(self.ub_conf, "w") as f:
            f.write("server:\n"
                    "\tinterface: 127.0.0.1\n"
                    "\tport: %d\n"
                    "\tdo-ip6: no\n"
                    "\tdo-not-query-localhost: no\n"
                    "\tusername: \"\"\n"
                    "\tchroot: \"\"\n"
                    "\tdirectory: \"%s\"\n"
                    "\tpidfile: \"%s/unbound.pid\"\n"
                    "\tuse-syslog: no\n"
                    "\tlogfile: \"%s/unbound.log\"\n"
                    "\tverbosity: 1\n"
                    "\tmodule-config: \"validator iterator\"\n"
                    "\tval-log-level: 2\n"
                    "\tnum-threads: 1\n"
                    # RFC 6761's test. is one of unbound's empty local
                    # zones by default; here it is delegated to nsd
                    "\tlocal-zone: \"test.\" nodefault\n"
                    % (self.port, self.dir, self.dir, self.dir))
            for a in anchors:
                f.write("\ttrust-anchor-file: \"%s\"\n" % a)
            f.write("remote-control:\n\tcontrol-enable: no\n")
            for origin in zones:
                f.write("stub-zone:\n\tname: \"%s\"\n\tstub-addr: "
                        "127.0.0.1@%d\n" % (origin, self.nsd_port))
        self._start(["/usr/sbin/nsd", "-d", "-c", self.nsd_conf], "nsd")
        self._wait_tcp(self.nsd_port, "nsd")
        self._start(["/usr/sbin/unbound", "-d", "-c", self.ub_conf],
                    "unbound")
        self._wait_tcp(self.port, "unbound")

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def _run(self, argv):
        r = subprocess.run(argv, cwd=self.dir, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise H.HarnessError("%s: %s" % (argv, r.stderr))
        return r.stdout

    def _start(self, argv, name):
        log = open(os.path.join(self.dir, name + ".out"), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, cwd=self.dir,
                             start_new_session=True)
        log.close()
        self.procs.append((name, p))

    def _wait_tcp(self, port, name):
        def up():
            for n, p in self.procs:
                if p.poll() is not None:
                    raise H.HarnessError("%s exited: %s" % (n, self.logs()))
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                return True
            except OSError:
                return False
        H.wait_until(up, 30, name + " to listen")

    def dig(self, name, qtype):
        """dig +dnssec through unbound (for the test's own checks)."""
        r = subprocess.run(["dig", "+dnssec", "+time=2", "+tries=1",
                            "@127.0.0.1", "-p", str(self.port), name,
                            qtype], capture_output=True, text=True,
                           timeout=30)
        return r.stdout

    def logs(self):
        out = []
        for n in ("nsd.log", "nsd.out", "unbound.log", "unbound.out"):
            try:
                with open(os.path.join(self.dir, n)) as f:
                    out.append("---- %s\n%s" % (n, f.read()[-3000:]))
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        for name, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
