"""
TLS and AUTH of the remote delivery, against aiosmtpd peers with
certificates made for the test: may (STARTTLS when offered, plaintext
after a failed handshake, logged), none, encrypt (a server without
STARTTLS is not used), verify (a chain to tls_ca_file naming the host;
a self-signed or misnamed certificate defers, never plaintext), the
per-destination policy table; relayhost AUTH with credentials from a
root-only file, sent only over TLS, a wrong password deferred, and a
file readable by others refused.  The log records the TLS version and
cipher.
"""
import os
import signal
import re

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import (DNS, Peer, log_lines, make_ca, make_cert,
                             remote_instance, send, server_tls, wait_log)


@pytest.fixture
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("certs"))
    ca = make_ca(d)
    return {
        "ca": ca[0],
        "good": make_cert(d, "mx.tls.test", ("mx.tls.test",), ca=ca),
        "misnamed": make_cert(d, "other.tls.test", ("other.tls.test",),
                              ca=ca),
        "self": make_cert(d, "self.tls.test", ("mx.tls.test",)),
    }


@pytest.fixture
def setup(request):
    made = {"inst": [], "peer": [], "dns": []}

    def make(peer=None, conf=None, level="may", dns=False, before=None):
        p = Peer(**(peer or {}))
        made["peer"].append(p)
        c = {"smtp_tls_security_level": level}
        relay = "[127.0.0.1]:%d" % p.port
        if dns:
            d = DNS({("mx.tls.test", "A"): ["127.0.0.1"]})
            made["dns"].append(d)
            c["dns_resolver"] = d.resolver
            relay = "[mx.tls.test]:%d" % p.port
        c.update(conf or {})
        f = remote_instance(relayhost=relay, conf=c)
        made["inst"].append(f)
        if before is not None:
            f.stop_queued()
            before(f, p)
            f.start_queued()
        return f, p
    yield make
    for i in made["inst"]:
        conftest_finish(request, i)
    for p in made["peer"]:
        p.stop()
    for d in made["dns"]:
        d.stop()


TLS_LOG = re.compile(r"(Untrusted|Verified) TLS connection established to "
                     r"\S+\[127\.0\.0\.1\]:\d+: TLS1\.[23] with cipher \S+ "
                     r"\(\d+/\d+ bits\)")


def test_may_uses_starttls_and_logs_version_and_cipher(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"])})
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["tls"] is True
    ln = wait_log(f, "TLS connection established")[0]
    assert TLS_LOG.search(ln) and "Untrusted" in ln, ln


def test_may_after_a_failed_handshake_goes_plaintext(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"]),
                       "bad_starttls": True})
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["tls"] is False
    ln = wait_log(f, "trying again without TLS")[0]
    assert "TLS handshake with 127.0.0.1[127.0.0.1]" in ln
    assert p.connections == 2


def test_none_never_starts_tls(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"])}, level="none")
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["tls"] is False


def test_encrypt_skips_a_server_without_starttls(setup):
    f, p = setup(level="encrypt")
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "dsn=4.7.4" in ln and "TLS is required, but was not offered " \
        "by host 127.0.0.1[127.0.0.1]" in ln
    assert p.mail_options == []


def test_encrypt_with_a_handshake_failure_never_goes_plaintext(setup,
                                                               certs):
    # no retry of the message while the test looks: the one connection
    # is the attempt, and it never goes on in plaintext
    f, p = setup(peer={"tls": server_tls(*certs["self"]),
                       "bad_starttls": True}, level="encrypt",
                 conf={"queue_retry_min": "60s", "queue_retry_max": "120s"})
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "TLS handshake with" in ln and "failed" in ln
    assert p.mail_options == [] and p.connections == 1


def test_verify_with_a_good_chain(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["good"])}, level="verify",
                 dns=True, conf={"tls_ca_file": certs["ca"]})
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    ln = wait_log(f, "TLS connection established")[0]
    assert ln.split("smtp[")[1].split(": ", 1)[1].startswith(
        "Verified TLS connection established to mx.tls.test[127.0.0.1]")


@pytest.mark.parametrize("cert,why", [
    ("self", "self-signed certificate"),
    ("misnamed", "hostname mismatch"),
])
def test_verify_refuses_a_bad_certificate(setup, certs, cert, why):
    f, p = setup(peer={"tls": server_tls(*certs[cert])}, level="verify",
                 dns=True, conf={"tls_ca_file": certs["ca"]})
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "dsn=4.7.5" in ln and "Server certificate not verified" in ln
    assert why in ln, ln
    assert p.mail_options == []


def test_policy_table_per_destination(setup, certs):
    def policy(f, p):
        path = os.path.join(f.etc, "tls_policy")
        with open(path, "w") as fh:
            fh.write("[127.0.0.1]:%d encrypt\n" % p.port)
        f.write_conf(smtp_tls_policy_file=path)
    f, p = setup(level="none", before=policy)
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "TLS is required, but was not offered" in ln


def write_secrets(f, p, line, mode=0o600):
    path = os.path.join(f.etc, "relay_passwords")
    with open(path, "w") as fh:
        fh.write(line % p.port)
    os.chmod(path, mode)
    f.write_conf(smtp_sasl_password_file=path)


def test_relayhost_auth_after_tls(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"]),
                       "auth": ("fred", "s3cret:with:colons")},
                 before=lambda f, p: write_secrets(
                     f, p, "[127.0.0.1]:%d fred:s3cret:with:colons\n"))
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.auths == [("PLAIN", "fred", "s3cret:with:colons", True)]
    assert p.auth_on_mail == [True] and p.tls_on_mail == [True]
    assert "s3cret" not in f.log()


def test_relayhost_auth_login_when_plain_is_not_offered(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"]),
                       "auth": ("fred", "s3cret"), "auth_exclude": ["PLAIN"]},
                 before=lambda f, p: write_secrets(
                     f, p, "[127.0.0.1]:%d fred:s3cret\n"))
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.auths == [("LOGIN", "fred", "s3cret", True)]
    assert p.auth_on_mail == [True] and p.tls_on_mail == [True]
    assert "s3cret" not in f.log()


def test_relayhost_auth_wrong_password_defers(setup, certs):
    f, p = setup(peer={"tls": server_tls(*certs["self"]),
                       "auth": ("fred", "right")},
                 before=lambda f, p: write_secrets(
                     f, p, "[127.0.0.1]:%d fred:wrong\n"))
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "SASL authentication failed" in ln and "535" in ln
    assert p.messages == []
    assert "wrong" not in f.log().replace("status=deferred", "")


def test_no_credentials_without_tls(setup):
    f, p = setup(level="may",
                 before=lambda f, p: write_secrets(
                     f, p, "[127.0.0.1]:%d fred:secret\n"))
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "not sending credentials to 127.0.0.1[127.0.0.1] without TLS" \
        in ln
    assert p.auths == [] and p.messages == []


@pytest.mark.root_only
def test_a_password_file_others_can_read_is_refused(setup):
    f, p = setup(before=lambda f, p: write_secrets(
        f, p, "[127.0.0.1]:%d fred:secret\n", mode=0o644))
    wait_log(f, "must belong to root and not be readable or writable by "
             "group or others")
    send(f, ["a@remote.test"])
    assert p.connections == 0
    # rspawn is started again and again refuses: the mail waits, unsent
    H.wait_until(lambda: len(log_lines(f, "must belong to root")) >= 2, 30,
                 "a second refusal")
    assert p.messages == []


@pytest.mark.root_only
def test_queueds_own_sighup_does_not_reach_rspawn(setup, certs):
    """queued started by hand re-reads the file at SIGHUP as
    facteur-queue: the keeper takes only a text root made (rspawn reads
    files as root and drops to the user its configuration names), so
    rspawn keeps its settings, the log says so, and mail goes on.  The
    master's reloads do reach rspawn: test_remote_reload.py."""
    f, p = setup(peer={"tls": server_tls(*certs["self"])}, level="none")
    send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["tls"] is False
    f.write_conf(smtp_tls_security_level="may")
    f.queued.send_signal(signal.SIGHUP)
    wait_log(f, "lspawn keeps the configuration it has, and so does rspawn")
    send(f, ["b@remote.test"])
    p.wait_messages(2)
    assert p.messages[1]["tls"] is False
    assert not log_lines(f, "rspawn started again")
    assert not log_lines(f, "bad request from queued")
