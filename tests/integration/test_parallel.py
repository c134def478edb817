"""
Load: 20 sendmail processes at once, 50 messages each, 1,000 deliveries,
each of which must land exactly once.  Bounded in count and in time (the
waits are generous limits, not measurements).
"""
import threading
import uuid

import pytest

import facteur_harness as H

D = H.DOMAIN
SENDERS, PER_SENDER = 20, 50

pytestmark = pytest.mark.usefixtures("sendmail_built")


def test_parallel_sendmail(fct):
    tags = [["p%02d-%03d-%s" % (s, i, uuid.uuid4().hex[:8])
             for i in range(PER_SENDER)] for s in range(SENDERS)]
    rcpt_of = {}
    failures = []

    def sender(s):
        users = ("alice", "bob", "carol")
        for i, tag in enumerate(tags[s]):
            u = users[(s + i) % 3]
            rcpt_of[tag] = u
            _, data = H.make_message(tag=tag, body=b"message %d of %d\n"
                                     % (i, s))
            r = fct.sendmail(["-i", "-f", "alice@" + D, u + "@" + D], data,
                             user=users[s % 3], timeout=120)
            if r.returncode != 0:
                failures.append((tag, r.returncode, r.stderr[-200:]))

    threads = [threading.Thread(target=sender, args=(s,))
               for s in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not any(t.is_alive() for t in threads), "senders stuck"
    assert not failures, failures[:5]
    total = SENDERS * PER_SENDER

    def delivered():
        return sum(len(fct.maildir_files(u)) for u in fct.users) >= total
    H.wait_until(delivered, 300, "%d deliveries" % total)
    fct.assert_queue_empty(120)
    counts = {}
    for u in fct.users:
        for m in fct.messages(u):
            t = H.tag_of(m)
            assert rcpt_of.get(t) == u, (t, u)
            counts[t] = counts.get(t, 0) + 1
    assert len(counts) == total
    assert all(v == 1 for v in counts.values()), \
        [(t, v) for t, v in counts.items() if v != 1][:10]
