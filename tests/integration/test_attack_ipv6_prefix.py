"""
One IPv6 host, many addresses (issue 15, finding 3): a host or site is
given a whole /64, so an attacker can open each connection from another
address.  The master compared whole /128 addresses, so
max_sessions_per_client never bound such a client.  Now a client is its
/client_ipv6_prefix (64 by default), as it already was for the
failed-login records.

The test runs the master in a network namespace of its own (unshare
--net) whose loopback has addresses in two /64s, and connects from
several addresses of one /64: past max_sessions_per_client they get 421,
while a client of the other /64 is served; with client_ipv6_prefix = 128
each address is a client again.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

import facteur_harness as H
from conftest import need_package
from smtpd_fixtures import smtpd_conf

NET_A = "fd00:fac7:0:1::"       # the attacker's /64
NET_B = "fd00:fac7:0:2::"       # someone else
SERVER = NET_A + "1"
PORT = 2525


def child_main(conf_path, facteur, log_path):
    """In the namespace: addresses, the master, the connections; prints
    what each connection got as JSON."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in ("1", "a", "b", "c", "d"):
        subprocess.run(["ip", "-6", "addr", "add", NET_A + a + "/64", "dev",
                        "lo", "nodad"], check=True)
    subprocess.run(["ip", "-6", "addr", "add", NET_B + "a/64", "dev", "lo",
                    "nodad"], check=True)
    log = open(log_path, "ab")
    master = subprocess.Popen([facteur, "-d", "-C", conf_path],
                              stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    out = {}
    held = []
    try:
        deadline = time.monotonic() + 60
        while b"started, configuration" not in open(log_path, "rb").read():
            if time.monotonic() > deadline or master.poll() is not None:
                raise RuntimeError("the master did not start")
            time.sleep(0.05)
        for src in (NET_A + "a", NET_A + "b", NET_A + "c", NET_A + "d",
                    NET_B + "a"):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.settimeout(30)
            s.bind((src, 0))
            s.connect((SERVER, PORT))
            f = s.makefile("rb")
            out[src] = f.readline().decode(errors="replace").strip()
            held.append((s, f))
    finally:
        for s, f in held:
            f.close()
            s.close()
        os.killpg(master.pid, signal.SIGTERM)
        try:
            master.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(master.pid, signal.SIGKILL)
            master.wait()
    print(json.dumps(out))


def run_in_netns(fct, prefix):
    smtpd_conf(fct)
    fct.write_conf(smtp_listen="[%s]:%d" % (SERVER, PORT),
                   max_sessions_per_client="2",
                   client_ipv6_prefix=str(prefix), restart_delay="1s",
                   shutdown_grace="1s")
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run(
        ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__),
         fct.conf_path, fct.program("facteur"), fct.log_path],
        capture_output=True, text=True, timeout=180, cwd=here,
        env=H.base_env())
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture
def netns():
    if not H.IS_ROOT:
        pytest.skip("needs root: a network namespace of its own")
    need_package("iproute2", "ip")
    if shutil.which("unshare") is None:
        need_package("util-linux", "unshare")
    r = subprocess.run(["unshare", "--net", "--", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot make a network namespace here: "
                    + r.stderr.strip())


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_one_ipv6_64_is_one_client(fct, netns):
    got = run_in_netns(fct, 64)
    a = [got[NET_A + x] for x in "abcd"]
    # two sessions for the /64, then busy, whichever address is used
    assert a[0].startswith("220 ") and a[1].startswith("220 "), got
    assert a[2].startswith("421 ") and a[3].startswith("421 "), got
    # another /64 is another client
    assert got[NET_B + "a"].startswith("220 "), got
    assert "max_sessions_per_client reached" in fct.log()


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_ipv6_prefix_128_counts_addresses(fct, netns):
    got = run_in_netns(fct, 128)
    assert all(v.startswith("220 ") for v in got.values()), got


if __name__ == "__main__":
    child_main(*sys.argv[1:4])
