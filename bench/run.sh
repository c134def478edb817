#!/bin/sh
# `make bench`: benchmarks against the programs in $FACTEUR_BUILD.
# Runs unprivileged or as root (then with the real users and set-uid
# enqueue, as the integration tests do).  See bench/queue_bench.py for what
# is measured and how; BENCH_N, BENCH_C, BENCH_SIZE, BENCH_RUNS, BENCH_VIA
# tune it.  bench/remote_bench.py (remote delivery against Postfix's smtp
# client) takes REMOTE_BENCH_N, REMOTE_BENCH_SIZE, REMOTE_BENCH_RUNS.
set -u
: "${FACTEUR_BUILD:?FACTEUR_BUILD must name the build directory}"
export FACTEUR_BUILD
cd "$(dirname "$0")" || exit 1
/usr/bin/python3 smtp_bench.py || echo "bench: smtp_bench.py failed" >&2
/usr/bin/python3 pop3_bench.py || echo "bench: pop3_bench.py failed" >&2
/usr/bin/python3 remote_bench.py || echo "bench: remote_bench.py failed" >&2
/usr/bin/python3 imap_bench.py || echo "bench: imap_bench.py failed" >&2
exec /usr/bin/python3 queue_bench.py
