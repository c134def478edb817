"""
test_smtpd_tls: STARTTLS (RFC 3207) on the mx and submission ports and
implicit TLS on the smtps port (RFC 8314), with real clients (openssl
s_client, swaks, Python's smtplib) verifying the server's certificate
against a test CA, host name included; the STARTTLS injection case; the
Received header's TLS record; the private key out of the session's reach.
"""
import os
import re
import smtplib
import ssl
import subprocess

import pytest

import facteur_harness as H
from conftest import need_package
from smtpd_fixtures import Client, queue_id_of, split_delivered
from test_smtpd_tls_fixtures import (PASSWORD, TlsClient,  # noqa: F401
                                     smtpd3)


def test_starttls_advertised_and_works(fct, smtpd3):
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    ext = c.ehlo()
    assert "STARTTLS" in ext
    assert not any(e.startswith("AUTH") for e in ext)
    c.starttls()
    ext = c.ehlo()
    assert "STARTTLS" not in ext
    assert "AUTH PLAIN LOGIN" in ext
    assert c.code("STARTTLS") == 503
    assert c.code("QUIT") == 221
    c.close()
