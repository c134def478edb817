"""
DNS for remote delivery, from a DNS server the test starts on loopback
(remote_fixtures.DNS; never the system resolver): MX preference and
fallback to the next MX, equal preferences shuffled, the implicit MX (no MX record: the domain's own
address), a null MX bounced at once with 5.1.10, NXDOMAIN bounced,
SERVFAIL and silence deferred, at most smtp_mx_address_limit addresses
tried, IPv6 before IPv4, answers cached for their TTL (and NXDOMAIN for
the SOA's), and mail that would loop back to this host (an MX named
myhostname, or one of our listening addresses) bounced as Postfix does.

The MX hosts are loopback addresses (127.0.0.2, 127.0.0.3, ::1) that
share one high port: transport_file sends the test domain to
`smtp:example.test:PORT`, an MX lookup with that port.
"""
import os
import socket
import subprocess

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import (DNS, Peer, RawPeer, free_port, log_lines,
                             remote_instance, send, wait_log)

DOM = "example.test"


def common_port(hosts):
    """A port free on every address of hosts."""
    for _ in range(50):
        p = free_port(hosts[0])
        socks = []
        try:
            for h in hosts:
                s = socket.socket(socket.AF_INET6 if ":" in h
                                  else socket.AF_INET)
                socks.append(s)
                s.bind((h, p))
            return p
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no common free port on %s" % (hosts,))


@pytest.fixture
def world(request):
    """make(zone, hosts=..., **dns) -> (instance, dns, port, peers)."""
    made = {"inst": [], "dns": [], "peers": []}

    def make(zone, peer_hosts=(), port_hosts=("127.0.0.2", "127.0.0.3"),
             conf=None, dns_kw=None, domain=DOM, **peer_kw):
        port = common_port(list(port_hosts))
        dns = DNS({(k[0], k[1]): v for k, v in zone.items()},
                  **(dns_kw or {}))
        made["dns"].append(dns)
        peers = {}
        for h in peer_hosts:
            peers[h] = Peer(host=h, port=port, **peer_kw)
            made["peers"].append(peers[h])
        c = {"dns_resolver": dns.resolver}
        c.update(conf or {})
        inst = remote_instance(conf=c, transport={
            domain: "smtp:%s:%d" % (domain, port)})
        made["inst"].append(inst)
        return inst, dns, port, peers
    yield make
    for i in made["inst"]:
        conftest_finish(request, i)
    for p in made["peers"]:
        p.stop()
    for d in made["dns"]:
        d.stop()


def test_mx_order_and_next_mx_on_refused_connection(world):
    zone = {(DOM, "MX"): [(20, "mx2." + DOM), (10, "mx1." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"],
            ("mx2." + DOM, "A"): ["127.0.0.3"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.3",))
    send(f, ["a@" + DOM])
    peers["127.0.0.3"].wait_messages(1)
    ln = wait_log(f, "status=sent")[0]
    assert "relay=mx2.%s[127.0.0.3]:%d" % (DOM, port) in ln
    refused = log_lines(f, "connect to mx1.%s[127.0.0.2]:%d: Connection "
                        "refused" % (DOM, port))
    assert refused, f.log_tail()
    # mx1 was tried first: its refusal is logged before the delivery
    log = f.log()
    assert log.index(refused[0]) < log.index(ln)


def test_equal_preferences_are_shuffled(world):
    """Two MX hosts of one preference share the load: the order is drawn
    again for each delivery (no connection cache, so each message makes
    its own choice).  With 20 messages, all on one host by chance has a
    probability of 2 in 2**20."""
    zone = {(DOM, "MX"): [(10, "mx1." + DOM), (10, "mx2." + DOM),
                          (20, "mx3." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"],
            ("mx2." + DOM, "A"): ["127.0.0.3"],
            ("mx3." + DOM, "A"): ["127.0.0.4"]}
    f, dns, port, peers = world(
        zone, peer_hosts=("127.0.0.2", "127.0.0.3", "127.0.0.4"),
        port_hosts=("127.0.0.2", "127.0.0.3", "127.0.0.4"),
        conf={"smtp_connection_cache_time": "0"})
    for k in range(20):
        send(f, ["r%d@%s" % (k, DOM)])
    H.wait_until(lambda: len(log_lines(f, "status=sent")) == 20, 60,
                 "20 deliveries")
    n2 = len(peers["127.0.0.2"].messages)
    n3 = len(peers["127.0.0.3"].messages)
    assert n2 + n3 == 20 and n2 > 0 and n3 > 0, (n2, n3)
    # the less preferred MX is never used while the others answer
    assert peers["127.0.0.4"].messages == []


def test_4xx_greeting_moves_to_the_next_mx(world):
    zone = {(DOM, "MX"): [(10, "mx1." + DOM), (20, "mx2." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"],
            ("mx2." + DOM, "A"): ["127.0.0.3"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.3",))

    def busy(c):
        c.send(b"421 4.3.2 mx1 is busy\r\n")
    raw = RawPeer(busy, host="127.0.0.2", port=port)
    try:
        send(f, ["a@" + DOM])
        peers["127.0.0.3"].wait_messages(1)
        # the client's log lines reach the log through rspawn: waited for
        wait_log(f, "mx1.%s[127.0.0.2] refused to talk to me: 421 "
                 "4.3.2 mx1 is busy" % DOM)
        assert len(raw.conns) == 1
    finally:
        raw.stop()


def test_implicit_mx(world):
    zone = {(DOM, "A"): ["127.0.0.2"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.2",))
    send(f, ["a@" + DOM])
    peers["127.0.0.2"].wait_messages(1)
    assert "relay=%s[127.0.0.2]:%d" % (DOM, port) in \
        wait_log(f, "status=sent")[0]
    assert dns.asked(DOM, "MX") >= 1


def test_null_mx_bounces_at_once(world):
    zone = {(DOM, "MX"): [(0, ".")], (DOM, "A"): ["127.0.0.2"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.2",))
    send(f, ["a@" + DOM])
    ln = wait_log(f, "status=bounced")[0]
    assert "dsn=5.1.10" in ln and "Domain %s does not accept mail " \
        "(nullMX)" % DOM in ln
    bounce = f.wait_for_delivery("alice", 1)[0]
    assert b"Status: 5.1.10" in bounce
    assert peers["127.0.0.2"].connections == 0
    assert dns.asked(DOM, "A") == 0


def test_nxdomain_bounces_servfail_and_silence_defer(world):
    f, dns, port, peers = world({}, dns_kw={
        "nx": ["nx." + DOM], "servfail": ["sf." + DOM],
        "silent": ["quiet." + DOM]})
    path = f.etc + "/transport"
    with open(path, "w") as fh:
        for d in ("nx", "sf", "quiet"):
            fh.write("%s.%s smtp:%s.%s:%d\n" % (d, DOM, d, DOM, port))
    f.write_conf(transport_file=path)
    f.trigger()
    send(f, ["a@nx." + DOM, "b@sf." + DOM, "c@quiet." + DOM])
    nx = wait_log(f, "to=<a@nx.%s>" % DOM)[0]
    assert "dsn=5.4.4, status=bounced (Host or domain name not found. " \
        "Name service error for name=nx.%s type=MX: Host not found)" % DOM \
        in nx
    sf = wait_log(f, "to=<b@sf.%s>" % DOM)[0]
    assert "dsn=4.4.3, status=deferred (Host or domain name not found" in sf
    assert "server failure" in sf
    quiet = wait_log(f, "to=<c@quiet.%s>" % DOM, timeout=30)[0]
    assert "status=deferred" in quiet and "timed out" in quiet
    f.wait_for_delivery("alice", 1)
    assert dns.asked("quiet." + DOM, "MX") >= 2    # c-ares tried twice


def test_at_most_mx_address_limit_addresses(world):
    addrs = ["127.0.0.%d" % k for k in range(20, 27)]
    zone = {(DOM, "MX"): [(10, "mx1." + DOM)],
            ("mx1." + DOM, "A"): addrs}
    f, dns, port, peers = world(zone, port_hosts=tuple(addrs),
                                conf={"smtp_mx_address_limit": "3"})
    send(f, ["a@" + DOM])
    wait_log(f, "status=deferred")
    tried = [ln for ln in log_lines(f, "connect to mx1.%s[" % DOM)
             if "smtp[" in ln]
    assert len(tried) == 3, tried
    ln = log_lines(f, "status=deferred")[0]
    assert "dsn=4.4.1" in ln and "Connection refused" in ln


def test_ipv6_first_then_ipv4(world):
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    zone = {(DOM, "MX"): [(10, "mx1." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"],
            ("mx1." + DOM, "AAAA"): ["::1"]}
    f, dns, port, peers = world(zone, peer_hosts=("::1", "127.0.0.2"),
                                port_hosts=("::1", "127.0.0.2"))
    send(f, ["a@" + DOM])
    peers["::1"].wait_messages(1)
    assert "relay=mx1.%s[::1]:%d" % (DOM, port) in \
        wait_log(f, "status=sent")[0]
    assert peers["127.0.0.2"].messages == []
    # without a server on the IPv6 address, the IPv4 one takes it
    peers["::1"].stop()
    send(f, ["b@" + DOM])
    peers["127.0.0.2"].wait_messages(1)
    wait_log(f, "connect to mx1.%s[::1]:%d: Connection refused"
             % (DOM, port))


def test_answers_are_cached_for_their_ttl(world):
    zone = {(DOM, "MX"): [(10, "mx1." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.2",),
                                dns_kw={"nx": ["nx." + DOM]},
                                conf={"smtp_connection_cache_time": "0"})
    path = f.etc + "/transport"
    with open(path, "a") as fh:
        fh.write("nx.%s smtp:nx.%s:%d\n" % (DOM, DOM, port))
    for k in range(3):
        send(f, ["a%d@%s" % (k, DOM), "x%d@nx.%s" % (k, DOM)])
        peers["127.0.0.2"].wait_messages(k + 1)
        wait_log(f, "to=<x%d@nx.%s>" % (k, DOM))
    assert dns.asked(DOM, "MX") == 1
    assert dns.asked("mx1." + DOM, "A") == 1
    # NXDOMAIN is kept for the SOA's TTL (60 s) too
    assert dns.asked("nx." + DOM, "MX") == 1


def test_mx_that_is_this_host_loops(world):
    zone = {(DOM, "MX"): [(10, H.DOMAIN)]}
    f, dns, port, peers = world(zone)
    send(f, ["a@" + DOM])
    ln = wait_log(f, "status=bounced")[0]
    assert "dsn=5.4.6" in ln and "mail for %s loops back to myself" % DOM \
        in ln


def test_our_listening_address_loops_but_a_better_mx_is_used(world):
    zone = {("loop." + DOM, "MX"): [(10, "mx1." + DOM)],
            ("better." + DOM, "MX"): [(20, "mx1." + DOM),
                                      (10, "mx2." + DOM)],
            ("mx1." + DOM, "A"): ["127.0.0.2"],
            ("mx2." + DOM, "A"): ["127.0.0.3"]}
    f, dns, port, peers = world(zone, peer_hosts=("127.0.0.3",))
    path = f.etc + "/transport"
    with open(path, "w") as fh:
        fh.write("loop.%s smtp:loop.%s:%d\n" % (DOM, DOM, port))
        fh.write("better.%s smtp:better.%s:%d\n" % (DOM, DOM, port))
    # this host "listens" on mx1's address and port (rspawn reads it at
    # start: restart queued, and with it rspawn)
    f.stop_queued()
    f.write_conf(smtp_listen="127.0.0.2:%d" % port, transport_file=path)
    f.start_queued()
    send(f, ["a@loop." + DOM, "b@better." + DOM])
    ln = wait_log(f, "to=<a@loop.%s>" % DOM)[0]
    assert "dsn=5.4.6" in ln and "loops back to myself" in ln
    peers["127.0.0.3"].wait_messages(1)
    assert peers["127.0.0.3"].messages[0]["to"] == ["b@better." + DOM]


def dns_on_port_53(zone):
    """A DNS server on port 53 of some loopback address (resolv.conf
    names no port), or skip when none is free."""
    for last in range(53, 80):
        try:
            return DNS(zone, host="127.0.53.%d" % last, port=53)
        except OSError:
            continue
    pytest.skip("no loopback address with port 53 free")


@pytest.mark.root_only
def test_unset_resolver_takes_resolv_conf(request):
    """dns_resolver unset: the nameservers of /etc/resolv.conf, read by
    rspawn as root before it chroots.  queued runs in a mount namespace
    of its own where /etc/resolv.conf is a file of the test naming a
    loopback server, so the host's resolver is never asked."""
    dns = dns_on_port_53({(DOM, "MX"): [(10, "mx1." + DOM)],
                          ("mx1." + DOM, "A"): ["127.0.0.2"]})
    port = common_port(["127.0.0.2"])
    peer = Peer(host="127.0.0.2", port=port)
    f = remote_instance(conf={"dns_resolver": ""}, start=False,
                        transport={DOM: "smtp:%s:%d" % (DOM, port)})
    try:
        resolv = os.path.join(f.etc, "resolv.conf")
        with open(resolv, "w") as fh:
            fh.write("nameserver %s\noptions timeout:1 attempts:2\n"
                     % dns.host)
        argv = ["unshare", "--mount", "--propagation", "private", "sh",
                "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                resolv, f.program("queued"), "-d", "-C", f.conf_path]
        log = open(f.log_path, "ab")
        f.queued = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=H.base_env({"FACTEUR_CONF": f.conf_path}),
            start_new_session=True, cwd="/")
        log.close()
        f.queued_pids.append(f.queued.pid)
        assert wait_log(f, "DNS from /etc/resolv.conf")
        send(f, ["a@" + DOM])
        peer.wait_messages(1)
        assert "relay=mx1.%s[127.0.0.2]:%d" % (DOM, port) in \
            wait_log(f, "status=sent")[0]
        assert dns.asked(DOM, "MX") >= 1
    finally:
        conftest_finish(request, f)
        peer.stop()
        dns.stop()
