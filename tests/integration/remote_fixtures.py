"""
remote_fixtures: what the remote delivery tests talk to, all on loopback.

    Peer      an SMTP server from Debian's python3-aiosmtpd, recording each
              connection and message byte for byte, with knobs for what it
              offers (PIPELINING, SIZE, SMTPUTF8, STARTTLS, AUTH, DSN: the
              MAIL and RCPT arguments as sent, in mail_args and rcpt_args)
              and how it
              misbehaves (a reply per step, 452 past N recipients, a reply
              that never comes, a broken TLS handshake)
    RawPeer   a socket server driven by a script, for what aiosmtpd cannot
              send: a 4xx greeting, garbage in a multi-line reply, a 100 kB
              reply line, a peer that stops reading
    DNS       a DNS server in the harness on 127.0.0.1 (UDP and TCP) that
              answers MX, A, AAAA and TLSA from a dict, with NXDOMAIN,
              SERVFAIL, silence and the AD bit on demand, counting questions
    remote_instance(...)   a facteur instance whose remote delivery goes to
              these (never off the machine)

Every server picks a free port itself and runs in a daemon thread; stop()
ends it.  Nothing here waits without a bound.
"""
import asyncio
import os
import socket
import ssl
import struct
import subprocess
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def make_cert(d, cn="mx.test", names=("mx.test", "localhost"), ca=None):
    """A key and certificate for cn in directory d (self-signed, or signed
    by ca = (cert, key)); returns (cert, key) paths."""
    key = os.path.join(d, cn + ".key")
    crt = os.path.join(d, cn + ".crt")
    ext = os.path.join(d, cn + ".ext")
    san = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names)
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\n" % san)
    if ca is None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                        "-addext", "subjectAltName=" + san, "-keyout", key,
                        "-out", crt], check=True, capture_output=True)
    else:
        csr = os.path.join(d, cn + ".csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=" + cn, "-keyout", key, "-out", csr],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0],
                        "-CAkey", ca[1], "-CAcreateserial", "-days", "2",
                        "-extfile", ext, "-out", crt], check=True,
                       capture_output=True)
    return crt, key


def make_ca(d):
    key = os.path.join(d, "ca.key")
    crt = os.path.join(d, "ca.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=facteur test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-keyout", key, "-out", crt], check=True,
                   capture_output=True)
    return crt, key


def server_tls(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


# ------------------------------------------------------------ aiosmtpd peer

class _Handler:
    def __init__(self, peer):
        self.peer = peer

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        p = self.peer
        session.host_name = hostname
        with p.lock:
            p.ehlos.append(hostname)
        if p.replies.get("EHLO"):
            return [p.replies["EHLO"]] if isinstance(
                p.replies["EHLO"], str) else list(p.replies["EHLO"])
        out = [r for r in responses[:-1]
               if not any(r[4:].upper().startswith(x) for x in p.drop)]
        for x in p.extra:
            out.append("250-" + x)
        return out + [responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        p = self.peer
        with p.lock:
            p.mail_options.append(list(mail_options))
            p.tls_on_mail.append(server._tls_protocol is not None)
            p.auth_on_mail.append(session.authenticated)
        if p.replies.get("MAIL"):
            return p.replies["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        p = self.peer
        if address in p.rcpt_replies:
            return p.rcpt_replies[address]
        if p.replies.get("RCPT"):
            return p.replies["RCPT"]
        if p.rcpt_limit is not None and \
                len(envelope.rcpt_tos) >= p.rcpt_limit:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        p = self.peer
        if p.data_delay:
            await asyncio.sleep(p.data_delay)
        with p.lock:
            p.messages.append({
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "options": list(envelope.mail_options),
                "data": envelope.original_content,
                "tls": server._tls_protocol is not None,
            })
            n = len(p.messages)
        if p.replies.get("DATA"):
            return p.replies["DATA"]
        return "250 2.0.0 Ok: queued as PEER%d" % n


class Peer:
    """An aiosmtpd server; see the module comment.  replies: {"EHLO" |
    "MAIL" | "RCPT" | "DATA": reply}; rcpt_replies: {address: reply};
    extra: EHLO keywords added; drop: keywords removed; dsn: offers DSN
    and takes its parameters (RET, ENVID, NOTIFY, ORCPT), which aiosmtpd
    would refuse; mail_args and rcpt_args keep every MAIL and RCPT
    argument as it came ("FROM:<a@b> SIZE=5 RET=HDRS")."""

    def __init__(self, host="127.0.0.1", port=None, extra=("PIPELINING",),
                 drop=(), replies=None, rcpt_replies=None, rcpt_limit=None,
                 size=33554432 * 2, smtputf8=True, tls=None,
                 require_starttls=False, auth=None, data_delay=0,
                 bad_starttls=False, auth_exclude=(), dsn=False):
        self.host = host
        if dsn:
            extra = list(extra) + ["DSN"]
        self.mail_args, self.rcpt_args = [], []
        self.lock = threading.Lock()
        self.extra, self.drop = list(extra), [d.upper() for d in drop]
        self.replies = dict(replies or {})
        self.rcpt_replies = dict(rcpt_replies or {})
        self.rcpt_limit = rcpt_limit
        self.data_delay = data_delay
        self.messages, self.ehlos, self.mail_options = [], [], []
        self.tls_on_mail, self.auth_on_mail, self.auths = [], [], []
        self.connections = 0
        self.active = 0
        self.peak = 0
        peer = self
        kwargs = {"data_size_limit": size, "enable_SMTPUTF8": smtputf8,
                  "decode_data": False}
        if tls is not None:
            kwargs["tls_context"] = tls
            kwargs["require_starttls"] = require_starttls
        if auth is not None:
            def authenticator(server, session, envelope, mechanism, data):
                ok = (data.login.decode(), data.password.decode()) == auth
                with peer.lock:
                    peer.auths.append((mechanism, data.login.decode(),
                                       data.password.decode(), ok))
                return AuthResult(success=ok, handled=False)
            kwargs["authenticator"] = authenticator
            kwargs["auth_require_tls"] = True
            if auth_exclude:
                kwargs["auth_exclude_mechanism"] = list(auth_exclude)
        else:
            kwargs["auth_exclude_mechanism"] = ["LOGIN", "PLAIN"]

        class _SMTP(SMTP):
            # long lines are for the client to send whole, not to refuse
            line_length_limit = 1 << 20

            def connection_made(s, transport):
                # STARTTLS calls this again for the same connection
                if not getattr(s, "_counted", False):
                    s._counted = True
                    with peer.lock:
                        peer.connections += 1
                        peer.active += 1
                        peer.peak = max(peer.peak, peer.active)
                super().connection_made(transport)

            def connection_lost(s, exc):
                if getattr(s, "_counted", False) and \
                        not getattr(s, "_lost", False) and \
                        not getattr(s, "_upgrading", False):
                    s._lost = True
                    with peer.lock:
                        peer.active -= 1
                super().connection_lost(exc)

            # the DSN parameters aiosmtpd does not know, taken off
            # when the peer offers DSN; every argument kept as sent
            def _dsn_strip(s, arg, names):
                if not dsn or arg is None:
                    return arg
                return " ".join(w for w in arg.split(" ") if not any(
                    w.upper().startswith(n + "=") for n in names))

            async def smtp_MAIL(s, arg):
                with peer.lock:
                    peer.mail_args.append(arg)
                return await super().smtp_MAIL(
                    s._dsn_strip(arg, ("RET", "ENVID")))

            async def smtp_RCPT(s, arg):
                with peer.lock:
                    peer.rcpt_args.append(arg)
                return await super().smtp_RCPT(
                    s._dsn_strip(arg, ("NOTIFY", "ORCPT")))

            async def smtp_STARTTLS(s, arg):
                if bad_starttls:
                    await s.push("220 2.0.0 Ready to start TLS")
                    s._writer.write(b"\x15\x03\x03\x00\x02\x02\x28garbage")
                    await s._writer.drain()
                    s.transport.close()
                    return
                s._upgrading = True
                try:
                    return await super().smtp_STARTTLS(arg)
                finally:
                    s._upgrading = False

        class _Ctl(Controller):
            def factory(s):
                return _SMTP(s.handler, **s.SMTP_kwargs)

        for attempt in range(20):
            self.port = port or free_port(host)
            self.ctl = _Ctl(_Handler(self), hostname=host, port=self.port,
                            ready_timeout=10, **kwargs)
            try:
                self.ctl.start()
                break
            except (OSError, RuntimeError):
                if port is not None or attempt == 19:
                    raise
        # start() connects once to see the server is up: not a client
        H.wait_until(lambda: self.active == 0, 10, "the probe to end")
        with self.lock:
            self.connections = 0
            self.peak = 0

    def wait_messages(self, n, timeout=30):
        H.wait_until(lambda: len(self.messages) >= n, timeout,
                     "%d message(s) at the peer" % n)
        return self.messages

    def stop(self):
        try:
            self.ctl.stop()
        except Exception:  # noqa: BLE001 - a server already gone
            pass


# ------------------------------------------------------------ raw peer

class Conn:
    """One connection of a RawPeer, for its script: bounded reads."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.lines = []

    def send(self, data):
        self.sock.sendall(data)

    def readline(self, timeout=10):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        self.lines.append(line + b"\n")
        return line + b"\n"

    def read_data(self, timeout=30):
        """DATA content up to the final dot; the raw bytes."""
        out = b""
        while True:
            ln = self.readline(timeout)
            if ln is None:
                return None
            if ln == b".\r\n":
                return out
            out += ln


class RawPeer:
    """Runs script(conn) for every connection (a thread each)."""

    def __init__(self, script, host="127.0.0.1", port=0):
        self.script = script
        self.host = host
        self.sock = socket.socket(socket.AF_INET6 if ":" in host
                                  else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                s, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c = Conn(s)
            self.conns.append(c)
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        try:
            self.script(c)
        except OSError:
            pass
        finally:
            try:
                c.sock.close()
            except OSError:
                pass

    def stop(self):
        self.stopped = True
        self.t.join(5)
        self.sock.close()


def smtp_until_data(c, ehlo=(b"250-raw.test\r\n", b"250 PIPELINING\r\n")):
    """A plain server script up to and including the 354: greeting, EHLO,
    MAIL, RCPTs, DATA; returns the commands seen."""
    c.send(b"220 raw.test ESMTP\r\n")
    cmds = []
    while True:
        ln = c.readline()
        if ln is None:
            return None
        cmds.append(ln)
        u = ln.upper()
        if u.startswith(b"EHLO"):
            c.send(b"".join(ehlo))
        elif u.startswith(b"DATA"):
            c.send(b"354 go ahead\r\n")
            return cmds
        elif u.startswith(b"QUIT"):
            c.send(b"221 bye\r\n")
            return cmds
        else:
            c.send(b"250 ok\r\n")


# ------------------------------------------------------------ DNS

def _name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _read_name(q, i):
    labels = []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    return ".".join(labels).lower(), i + 1


class DNS:
    """A DNS server on 127.0.0.1 answering from zone:
    {(name, type): [rdata...]} with types "MX" (pref, host), "A", "AAAA"
    (address text), "TLSA" (usage, selector, mtype, hex); names in nx get
    NXDOMAIN, in servfail SERVFAIL, in silent no answer at all; ad=True
    sets the AD bit.  questions lists (name, type) asked.  host and port:
    where it listens (a free port of 127.0.0.1 by default)."""

    TYPES = {"A": 1, "MX": 15, "AAAA": 28, "TLSA": 52, "SOA": 6}

    def __init__(self, zone=None, nx=(), servfail=(), silent=(), ad=False,
                 ttl=300, host="127.0.0.1", port=0):
        self.zone = dict(zone or {})
        self.nx, self.servfail, self.silent = set(nx), set(servfail), \
            set(silent)
        self.ad, self.ttl = ad, ttl
        self.questions = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.host = host
        self.udp.bind((host, port))
        self.port = self.udp.getsockname()[1]
        self.udp.settimeout(0.2)
        self.stopped = False
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    @property
    def resolver(self):
        return "%s:%d" % (self.host, self.port)

    def asked(self, name, qtype):
        return sum(1 for n, t in self.questions
                   if n == name and t == self.TYPES[qtype])

    def _serve(self):
        while not self.stopped:
            try:
                data, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                out = self.answer(data)
            except Exception:  # noqa: BLE001 - a bad query gets nothing
                out = None
            if out is not None:
                try:
                    self.udp.sendto(out, peer)
                except OSError:
                    pass

    def _rdata(self, qtype, v):
        if qtype == 15:
            return struct.pack("!H", v[0]) + _name(v[1])
        if qtype == 1:
            return socket.inet_pton(socket.AF_INET, v)
        if qtype == 28:
            return socket.inet_pton(socket.AF_INET6, v)
        if qtype == 52:
            return bytes([v[0], v[1], v[2]]) + bytes.fromhex(v[3])
        raise ValueError(qtype)

    def answer(self, q):
        qid, flags = struct.unpack("!HH", q[:4])
        name, i = _read_name(q, 12)
        qtype, qclass = struct.unpack("!HH", q[i:i + 4])
        question = q[12:i + 4]
        self.questions.append((name, qtype))
        if name in self.silent:
            return None
        rcode, answers = 0, []
        if name in self.servfail:
            rcode = 2
        elif name in self.nx:
            rcode = 3
        else:
            tname = {v: k for k, v in self.TYPES.items()}.get(qtype)
            for v in self.zone.get((name, tname), []):
                answers.append(self._rdata(qtype, v))
        fl = 0x8180 | rcode | (0x20 if self.ad else 0)
        head = struct.pack("!HHHHHH", qid, fl, 1, len(answers),
                           0 if answers or rcode == 2 else 1, 0)
        out = head + question
        for rd in answers:
            out += struct.pack("!HHHIH", 0xC00C, qtype, 1, self.ttl,
                               len(rd)) + rd
        if not answers and rcode != 2:
            # SOA for the negative answer: TTL 60, minimum 60
            soa = _name("ns.test") + _name("root.test") + struct.pack(
                "!IIIII", 1, 60, 60, 60, 60)
            out += _name("test") + struct.pack("!HHIH", 6, 1, 60,
                                               len(soa)) + soa
        return out

    def stop(self):
        self.stopped = True
        self.t.join(5)
        self.udp.close()


# ------------------------------------------------------------ instances

def remote_instance(relayhost=None, transport=None, conf=None, start=True,
                    **kw):
    """A started instance (unless start is false): relayhost and a
    transport_file (dict domain -> value) as given, TLS off unless conf
    says otherwise, short timeouts."""
    c = {"smtp_tls_security_level": "none",
         "smtp_connect_timeout": "5s",
         "smtp_helo_timeout": "10s",
         "smtp_mail_timeout": "10s",
         "smtp_rcpt_timeout": "10s",
         "smtp_data_init_timeout": "10s",
         "smtp_data_xfer_timeout": "10s",
         "smtp_data_done_timeout": "10s",
         "smtp_starttls_timeout": "10s",
         "smtp_quit_timeout": "5s",
         "queue_retry_min": "1s",
         "queue_retry_max": "2s"}
    if relayhost:
        c["relayhost"] = relayhost
    c.update(conf or {})
    inst = H.Instance(conf=c, **kw)
    if transport:
        path = os.path.join(inst.etc, "transport")
        with open(path, "w") as f:
            for k, v in transport.items():
                f.write("%s %s\n" % (k, v))
        inst.write_conf(transport_file=path)
    if start:
        inst.start_queued()
    return inst


def send(inst, rcpts, body=b"hello\n", sender=None, headers=None, tag=None,
         user="alice"):
    """Queues a message through sendmail; returns (tag, bytes)."""
    sender = sender or ("alice@" + H.DOMAIN)
    tag, msg = H.make_message(tag=tag, body=body, headers=headers,
                              to=", ".join(rcpts))
    r = inst.sendmail(["-f", sender, "--"] + list(rcpts), msg, user=user)
    assert r.returncode == 0, r.stderr
    return tag, msg


def log_lines(inst, word):
    return [ln for ln in inst.log().splitlines() if word in ln]


def wait_log(inst, word, n=1, timeout=30):
    try:
        H.wait_until(lambda: len(log_lines(inst, word)) >= n, timeout,
                     "%d log line(s) with %r" % (n, word))
    except AssertionError as e:
        raise AssertionError("%s; log tail:\n%s" % (e, inst.log_tail(80)))
    return log_lines(inst, word)


def crlf(data):
    return data.replace(b"\n", b"\r\n")


# Fixtures: scripted peers and instances, each stopped or finished after
# its test (import them by name).
@pytest.fixture
def peers():
    made = []

    def make(**kw):
        p = Peer(**kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.stop()


@pytest.fixture
def inst(request):
    made = []

    def make(**kw):
        i = remote_instance(**kw)
        made.append(i)
        return i
    yield make
    for i in made:
        conftest_finish(request, i)
