"""
conftest: pytest fixtures over facteur_harness for the integration suites.

    def test_x(fct):                 # a started instance (queued running)
    @pytest.mark.facteur(conf={"message_size_limit": "1m"},
                         aliases="team: alice, bob\\n", start=False,
                         make_maildirs=False, create_queue_dir=False,
                         extra_users={"zero": (0, 0)}, before_start=fn)
    @pytest.mark.root_only          # skipped, with the reason, when not root

At teardown the fixture stops queued (SIGTERM, then SIGKILL), kills by pid
anything it had started that is still running, and fails the test when a
program crashed (signal SEGV/ABRT/BUS/ILL/FPE) or a sanitizer reported an
error in any log.  When the test failed, the logs are printed so that they
appear in the report.  FACTEUR_KEEP=1 keeps the temporary roots.
"""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import facteur_harness as H  # noqa: E402
import peers  # noqa: E402

IS_ROOT = H.IS_ROOT


def pytest_configure(config):
    config.addinivalue_line("markers", "facteur(**kw): instance options")
    config.addinivalue_line("markers", "root_only: needs root")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("root_only") and not IS_ROOT:
            item.add_marker(pytest.mark.skip(
                reason="needs root (real users, set-uid, chown, mount)"))


def need_package(pkg, command=None):
    """Makes sure a Debian package is installed: as root installs it with
    apt-get when missing, otherwise skips the test with the reason.  The
    package must be one of peers.PEERS, which `make check` installs before
    the passes start (the ASan+UBSan pass has no network to install from)."""
    command = command or pkg
    if (pkg, command) not in peers.PEERS:
        pytest.fail("need_package(%r, %r): not in peers.PEERS (add it there)"
                    % (pkg, command))
    if shutil.which(command):
        return shutil.which(command)
    if IS_ROOT and shutil.which("apt-get"):
        why = peers.apt_install([pkg])
        if shutil.which(command):
            return shutil.which(command)
        pytest.skip("%s is not installed and apt-get failed: %s"
                    % (pkg, why))
    pytest.skip("%s is not installed (apt-get install %s)" % (pkg, pkg))


def _make_instance(request, start_default=True):
    if not H.BUILD or not os.path.isdir(H.BUILD):
        pytest.fail("FACTEUR_BUILD is not set to a build directory "
                    "(run through `make check-integration`)")
    m = request.node.get_closest_marker("facteur")
    kw = dict(m.kwargs) if m else {}
    start = kw.pop("start", start_default)
    before_start = kw.pop("before_start", None)
    for p in ("enqueue", "queued", "lspawn", "deliver"):
        if not os.path.exists(os.path.join(H.BUILD, p)):
            pytest.fail("%s is not built in %s" % (p, H.BUILD))
    inst = H.Instance(**kw)
    try:
        if before_start:
            before_start(inst)
        if start:
            inst.start_queued()
    except BaseException:
        print(inst.log())
        inst.close(keep=os.environ.get("FACTEUR_KEEP") == "1")
        raise
    return inst


def _finish(request, inst):
    keep = os.environ.get("FACTEUR_KEEP") == "1"
    try:
        inst.close(keep=True)
        problems = inst.health_problems()
        failed = getattr(request.node, "rep_call", None)
        if problems or (failed is not None and failed.failed):
            print("---- %s: queued.log ----" % inst.root)
            print(inst.log()[-20000:])
            print("---- commands.log ----")
            print(inst.cmdlog()[-8000:])
        if problems:
            pytest.fail("programs misbehaved:\n  " + "\n  ".join(problems))
    finally:
        if not keep:
            shutil.rmtree(inst.root, ignore_errors=True)


@pytest.fixture
def fct(request):
    """A facteur instance, queued started unless facteur(start=False)."""
    inst = _make_instance(request)
    yield inst
    _finish(request, inst)


@pytest.fixture
def sendmail_built():
    if not os.path.exists(os.path.join(H.BUILD, "sendmail")):
        pytest.fail("sendmail is not built in %s" % H.BUILD)


@pytest.fixture(scope="session")
def strace():
    path = need_package("strace")
    r = subprocess.run([path, "-f", "-qq", "-o", "/dev/null", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("strace cannot trace here (ptrace not permitted): "
                    + r.stderr.strip())
    return path
