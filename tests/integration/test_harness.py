"""
The harness's own checks are not vacuous: a crash and a sanitizer report
are seen (then cleared, so that this test's teardown passes), and the
instance is laid out as documented.
"""
import os
import signal
import stat

import facteur_harness as H


def test_detects_crash(fct):
    r = fct.run(["/bin/sh", "-c", "kill -SEGV $$"], user="alice")
    assert r.returncode == -signal.SIGSEGV
    assert any("signal 11" in p for p in fct.health_problems())
    fct.problems.clear()
    assert fct.health_problems() == []


def test_detects_sanitizer_report(fct):
    with open(fct.log_path, "rb") as f:
        before = f.read()
    with open(fct.log_path, "ab") as f:
        f.write(b"==42==ERROR: AddressSanitizer: heap-use-after-free\n")
    assert any("AddressSanitizer" in p for p in fct.health_problems())
    with open(fct.log_path, "r+b") as f:
        f.truncate(len(before))
    assert fct.health_problems() == []


def test_layout(fct):
    assert stat.S_IMODE(os.stat(fct.root).st_mode) == 0o755
    with open(fct.conf_path) as f:
        text = f.read()
    assert "queue_dir = %s\n" % fct.queue in text
    assert "program_dir = %s\n" % fct.libexec in text
    st = os.stat(fct.program("enqueue"))
    if H.IS_ROOT:
        assert st.st_uid == fct.queue_uid
        assert stat.S_IMODE(st.st_mode) == 0o4711
        assert os.stat(fct.conf_path).st_uid == 0
        for u in fct.users.values():
            assert u.uid >= 1000 and u.login == "fct-" + u.name
            assert os.stat(u.home).st_uid == u.uid
    assert stat.S_IMODE(os.stat(fct.conf_path).st_mode) == 0o644
    with open(fct.users_path) as f:
        lines = f.read().splitlines()
    assert [x.split(":")[0] for x in lines] == list(fct.users)
    assert fct.queued.poll() is None
