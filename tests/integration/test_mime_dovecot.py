"""The golden ENVELOPE and BODYSTRUCTURE answers (tests/data/bodystructure,
checked against imapd's formatters by tests/unit/test_imap_bodystructure)
compared with what Dovecot answers for the same messages: they must
differ exactly where tests/data/bodystructure/NOTES.md says, so a change
on either side that makes them part somewhere new fails here."""
import os
import subprocess
import sys

import pytest

from conftest import need_package

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "data", "bodystructure",
                      "compare-dovecot.py")


@pytest.mark.root_only  # Dovecot's imap runs as uid 65534
def test_bodystructure_matches_dovecot_but_where_noted():
    need_package("dovecot-imapd", "dovecot")
    r = subprocess.run([sys.executable, SCRIPT], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "18 messages, 11 items differ" in r.stdout, r.stdout[-2000:]
