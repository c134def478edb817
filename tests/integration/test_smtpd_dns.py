"""
smtpd_reverse_lookup: the client's name in the Received header comes from
the resolver named by dns_resolver (a tiny DNS server on loopback here),
and only when the PTR name maps back to the address.
"""
import socket
import struct
import threading

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, smtpd, split_delivered  # noqa: F401

D = H.DOMAIN


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class TinyDNS:
    """Answers PTR and A questions from two dicts; NXDOMAIN otherwise."""

    def __init__(self, ptr, a):
        self.ptr, self.a = ptr, a
        self.questions = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(data), peer)
            except Exception:  # noqa: BLE001 - a bad query gets nothing
                pass

    def answer(self, q):
        qid, flags, qd = struct.unpack("!HHH", q[:6])
        i, labels = 12, []
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode())
            i += 1 + q[i]
        qtype, qclass = struct.unpack("!HH", q[i + 1:i + 5])
        question = q[12:i + 5]
        name = ".".join(labels).lower()
        self.questions.append((name, qtype))
        rdata = None
        if qtype == 12 and name in self.ptr:
            rdata = encode_name(self.ptr[name])
        elif qtype == 1 and name in self.a:
            rdata = socket.inet_aton(self.a[name])
        known = name in self.ptr or name in self.a
        rcode = 0 if known else 3
        head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1,
                           1 if rdata else 0, 0, 0)
        out = head + question
        if rdata:
            out += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60,
                               len(rdata)) + rdata
        return out

    def close(self):
        self.stop = True
        self.t.join(5)
        self.sock.close()


PTR = "1.0.0.127.in-addr.arpa"


def received_of(fct, smtpd, tag):
    tag, msg = H.make_message(tag=tag)
    c = Client(smtpd.port)
    code, text = c.mail("s@example.org", ["bob@" + D],
                        msg.replace(b"\n", b"\r\n") + b".\r\n")
    assert code == 250, text
    c.cmd("QUIT")
    return split_delivered(fct.wait_for_tag("bob", tag))[2]


@pytest.fixture
def dns():
    servers = []

    def make(ptr, a):
        s = TinyDNS(ptr, a)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.close()


def test_reverse_name_confirmed(fct, smtpd, dns):
    d = dns({PTR: "client.example.test"}, {"client.example.test": "127.0.0.1"})
    fct.write_conf(smtpd_reverse_lookup="yes",
                   dns_resolver="127.0.0.1:%d" % d.port)
    rcv = received_of(fct, smtpd, "dns1")
    assert b"(client.example.test [127.0.0.1])" in rcv
    assert (PTR, 12) in d.questions


def test_reverse_name_not_confirmed(fct, smtpd, dns):
    d = dns({PTR: "liar.example.test"}, {"liar.example.test": "10.9.9.9"})
    fct.write_conf(smtpd_reverse_lookup="yes",
                   dns_resolver="127.0.0.1:%d" % d.port)
    rcv = received_of(fct, smtpd, "dns2")
    assert b"([127.0.0.1])" in rcv
    assert b"liar" not in rcv


def test_reverse_lookup_off_by_default(fct, smtpd, dns):
    d = dns({PTR: "client.example.test"}, {"client.example.test": "127.0.0.1"})
    fct.write_conf(dns_resolver="127.0.0.1:%d" % d.port)
    rcv = received_of(fct, smtpd, "dns3")
    assert b"([127.0.0.1])" in rcv
    assert d.questions == []
