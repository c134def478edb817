"""
smtp_bench_util: small helpers shared by the modules of the SMTP bench
(smtp_bench.py and what it imports): reading a numeric knob from the
environment, printing a line at once, a free loopback port, a throw-away
self-signed certificate.  Importing it puts tests/integration on sys.path,
so that `import facteur_harness as H` works next.
"""
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("smtp bench: %s must be a number" % name)


def say(*a):
    print(*a)
    sys.stdout.flush()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def self_signed_cert(d):
    """(cert, key): a self-signed RSA 2048 certificate for localhost
    written as d/cert.pem and d/key.pem (mode 0600)."""
    cert = os.path.join(d, "cert.pem")
    key = os.path.join(d, "key.pem")
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-keyout", key,
         "-out", cert], capture_output=True, text=True)
    if r.returncode != 0:
        raise H.HarnessError("openssl req: " + r.stderr)
    os.chmod(key, 0o600)
    return cert, key
