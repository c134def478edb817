"""
test_smtpd_tls_fixtures: smtpd's three listeners (mx, submission, smtps)
with TLS and AUTH configured, for test_smtpd_tls, test_smtpd_auth,
test_smtpd_relay and test_submission.  No test lives here.

    from test_smtpd_tls_fixtures import smtpd3, TlsClient  # noqa
    def test_x(fct, smtpd3):
        c = Client(smtpd3.mx.port)
        smtpd3.sub.port, smtpd3.smtps.port, smtpd3.ca

The certificate (localhost, 127.0.0.1) comes from pop3d_fixtures' test CA,
made once per session with the openssl command; the key is copied into
the instance as root 0600.  Every user's password is PASSWORD.
"""
import base64
import os
import shutil
import socket
import ssl

import pytest

import facteur_harness as H
from pop3d_fixtures import PASSWORD, tls_dir
from smtpd_fixtures import Client, SmtpdServer, smtpd_conf

__all__ = ["smtpd3", "TlsClient", "PASSWORD", "plain_ir", "b64"]


def tls_conf(inst, **over):
    """TLS files and AUTH keys on top of smtpd_conf."""
    smtpd_conf(inst)
    state = os.path.join(inst.root, "authstate")
    if not os.path.isdir(state):
        os.mkdir(state, 0o700)
    src = tls_dir()
    for name in ("server.pem", "server.key"):
        dst = os.path.join(inst.etc, name)
        shutil.copyfile(os.path.join(src, name), dst)
        os.chmod(dst, 0o600 if name.endswith(".key") else 0o644)
    keys = {"tls_cert_file": os.path.join(inst.etc, "server.pem"),
            "tls_key_file": os.path.join(inst.etc, "server.key"),
            "auth_state_dir": state, "auth_fail_delay_max": "1s"}
    keys.update(over)
    inst.write_conf(**keys)


class Smtpd3:
    def __init__(self, inst):
        self.inst = inst
        self.mx = SmtpdServer(inst)
        self.sub = SmtpdServer(inst, ["-m", "submission"])
        self.smtps = SmtpdServer(inst, ["-m", "smtps"])
        self.ca = os.path.join(tls_dir(), "ca.pem")

    def context(self):
        return ssl.create_default_context(cafile=self.ca)

    def close(self):
        for s in (self.mx, self.sub, self.smtps):
            s.close()


@pytest.fixture
def smtpd3(fct):
    if not os.path.exists(os.path.join(H.BUILD, "smtpd")):
        pytest.fail("smtpd is not built in %s" % H.BUILD)
    tls_conf(fct)
    srv = Smtpd3(fct)
    yield srv
    srv.close()


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def plain_ir(user, password=PASSWORD):
    return b64("\0%s\0%s" % (user, password))


class TlsClient(Client):
    """The raw client, able to go TLS (implicit, or after STARTTLS)."""

    def __init__(self, port, ca, implicit=False, greet=True, timeout=60):
        self.ca = ca
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout)
        if implicit:
            self.s = self.context().wrap_socket(
                self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        self.greeting = self.reply() if greet else None

    def context(self):
        return ssl.create_default_context(cafile=self.ca)

    def starttls(self):
        code, lines = self.cmd("STARTTLS")
        assert code == 220, (code, lines)
        self.f.close()
        self.s = self.context().wrap_socket(self.s,
                                            server_hostname="localhost")
        self.f = self.s.makefile("rb")

    def ehlo(self, name="client.test"):
        code, lines = self.cmd("EHLO " + name)
        assert code == 250, (code, lines)
        return lines[1:]

    def auth_plain(self, user, password=PASSWORD):
        return self.cmd("AUTH PLAIN " + plain_ir(user, password))

