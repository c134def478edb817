"""
DANE (RFC 7672) with a real DNSSEC chain on loopback: zones signed with
ldns-signzone, served by nsd, validated by unbound with the zone's key as
trust anchor (dnssec_fixtures).  smtp_tls_security_level = dane:

  - good.dane.test: its MX host's TLSA record (3 1 1, the SHA-256 of the
    peer's key) matches: delivered over TLS, logged as Verified;
  - bad.dane.test: its MX host's TLSA record does not match: deferred,
    and the peer never sees MAIL FROM (no fallback to plaintext, nor to
    unauthenticated TLS);
  - plain.test: an unsigned zone, whose TLSA record would not match: its
    answers are not validated, so TLS is opportunistic and the mail goes.
"""
import pytest

from conftest import _finish as conftest_finish, need_package
from dnssec_fixtures import DnssecWorld, spki_sha256
from remote_fixtures import (Peer, make_cert, remote_instance, send,
                             server_tls, wait_log)
from test_remote_dns import common_port


@pytest.fixture
def dane(request, tmp_path):
    for pkg, cmd in (("nsd", "nsd"), ("unbound", "unbound"),
                     ("ldnsutils", "ldns-signzone"), ("dnsutils", "dig")):
        need_package(pkg, cmd)
    port = common_port(["127.0.0.2", "127.0.0.3"])
    good_crt, good_key = make_cert(str(tmp_path), "mx1.dane.test",
                                   ("mx1.dane.test",))
    bad_crt, bad_key = make_cert(str(tmp_path), "mx2.dane.test",
                                 ("mx2.dane.test",))
    good = spki_sha256(good_crt)
    wrong = spki_sha256(good_crt)[::-1]
    signed = (
        "good IN MX 10 mx1\n"
        "bad IN MX 10 mx2\n"
        "mx1 IN A 127.0.0.2\n"
        "mx2 IN A 127.0.0.3\n"
        "_%d._tcp.mx1 IN TLSA 3 1 1 %s\n"
        "_%d._tcp.mx2 IN TLSA 3 1 1 %s\n" % (port, good, port, good))
    unsigned = (
        "@ IN MX 10 mx\n"
        "mx IN A 127.0.0.3\n"
        "_%d._tcp.mx IN TLSA 3 1 1 %s\n" % (port, wrong))
    world = DnssecWorld(str(tmp_path), {
        "dane.test.": (signed, True),
        "plain.test.": (unsigned, False),
    })
    p1 = Peer(host="127.0.0.2", port=port, tls=server_tls(good_crt,
                                                          good_key))
    # mx2 presents another key than its TLSA record names
    p2 = Peer(host="127.0.0.3", port=port, tls=server_tls(bad_crt, bad_key))
    f = None
    try:
        f = remote_instance(conf={
            "dns_resolver": world.resolver,
            "smtp_tls_security_level": "dane",
            "dns_timeout": "5s",
        }, transport={
            "good.dane.test": "smtp:good.dane.test:%d" % port,
            "bad.dane.test": "smtp:bad.dane.test:%d" % port,
            "plain.test": "smtp:plain.test:%d" % port,
        })
        yield f, world, p1, p2
    finally:
        if f is not None:
            conftest_finish(request, f)
            if request.node.rep_call.failed:
                print(world.logs())
        p1.stop()
        p2.stop()
        world.stop()


def test_the_world_validates(dane):
    f, world, p1, p2 = dane
    out = world.dig("_%d._tcp.mx1.dane.test" % p1.port, "TLSA")
    assert " ad;" in out or " ad " in out, out
    out = world.dig("plain.test", "MX")
    assert " ad;" not in out and "status: NOERROR" in out, out


def test_matching_tlsa_delivers(dane):
    f, world, p1, p2 = dane
    send(f, ["a@good.dane.test"])
    p1.wait_messages(1)
    assert p1.messages[0]["tls"] is True
    ln = wait_log(f, "TLS connection established to mx1.dane.test")[0]
    assert "Verified TLS connection" in ln, ln
    wait_log(f, "status=sent")


def test_mismatching_tlsa_defers_without_plaintext(dane):
    f, world, p1, p2 = dane
    send(f, ["b@bad.dane.test"])
    ln = wait_log(f, "status=deferred", timeout=60)[0]
    assert "dsn=4.7.5" in ln and "no TLSA record matched" in ln, ln
    assert p2.mail_options == [] and p2.messages == []


def test_unsigned_zone_is_opportunistic(dane):
    f, world, p1, p2 = dane
    send(f, ["c@plain.test"])
    p2.wait_messages(1, timeout=60)
    assert p2.messages[0]["tls"] is True
    assert "Untrusted TLS connection established to mx.plain.test" in \
        wait_log(f, "TLS connection established to mx.plain.test")[0]
