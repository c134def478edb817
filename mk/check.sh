#!/bin/sh
# `make check`: build, unit tests, unit tests under ASan+UBSan, the fuzz
# targets (a fixed number of runs each over its seed corpus, mk/fuzz.sh
# -c), integration tests, and the integration tests again against
# programs built with ASan+UBSan.  Ends with one line of totals:
# "check: N passed, N failed" (unit tests, fuzz targets and integration
# tests).  The ASan+UBSan integration pass runs beside the fuzz targets
# and the plain pass when it can have a network namespace (below).
set -u
MAKE=${MAKE:-make}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
status=0


run_step() {
	name=$1; shift
	echo "== $name"
	( "$@"; echo $? > "$log/$name.rc" ) 2>&1 | tee "$log/$name"
	rc=$(cat "$log/$name.rc" 2>/dev/null || echo 1)
	[ "$rc" -eq 0 ] || status=1
}

# A step in the background: its output goes to the log and is printed
# by finish_step when it has ended.
start_step() {
	name=$1; shift
	echo "== $name: started, beside the steps below (its output follows when it ends)"
	( "$@"; echo $? > "$log/$name.rc" ) > "$log/$name" 2>&1 &
	bg_pid=$!
}
finish_step() {
	name=$1
	wait "$bg_pid"
	echo "== $name"
	cat "$log/$name"
	rc=$(cat "$log/$name.rc" 2>/dev/null || echo 1)
	[ "$rc" -eq 0 ] || status=1
}

# The two integration passes wait on timeouts and peers far more than
# they compute, so they run at the same time when the ASan+UBSan pass can
# have a network namespace of its own (root, unshare, ip): there its
# ports, loopback addresses and listening sockets cannot meet the plain
# pass's.  Its packages are installed before (tests/integration/peers.py):
# the namespace has no route to a mirror.  Otherwise one after the other.
in_netns() {
	unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
}
netns_ok() {
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	    command -v ip >/dev/null 2>&1 && in_netns true >/dev/null 2>&1
}

run_step build     $MAKE --no-print-directory all
run_step unit      $MAKE --no-print-directory check-unit
run_step asan      $MAKE --no-print-directory check-asan
run_step peers     /usr/bin/python3 tests/integration/peers.py
if netns_ok; then
	start_step integration-asan in_netns $MAKE --no-print-directory check-integration-asan
	run_step fuzz      $MAKE --no-print-directory check-fuzz
	run_step integration $MAKE --no-print-directory check-integration
	finish_step integration-asan
else
	run_step fuzz      $MAKE --no-print-directory check-fuzz
	run_step integration $MAKE --no-print-directory check-integration
	run_step integration-asan $MAKE --no-print-directory check-integration-asan
fi

sum_unit() {
	sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^unit: .*: \([0-9]*\) passed$/\1/p' "$1" |
	    awk '{ s += $1 } END { print s + 0 }'
}
sum_unit_failed() {
	sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" |
	    awk '{ s += $1 } END { print s + 0 }'
}
up=$(grep -h '^unit: .*: [0-9]* passed$' "$log/unit" "$log/asan" 2>/dev/null |
    sed 's/.*: \([0-9]*\) passed$/\1/' | awk '{ s += $1 } END { print s + 0 }')
uf=$(cat "$log/unit" "$log/asan" 2>/dev/null | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
# pytest's closing line: "89 passed, 2 skipped in 30.40s" and the like.
count() {
	last=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped|deselected)' "$log/$1" 2>/dev/null | tail -n 1)
	n=$(echo "$last" | grep -Eo "[0-9]+ $2" | grep -Eo '[0-9]+' | head -n 1)
	echo "${n:-0}"
}
ip=0; if_=0; is=0
for step in integration integration-asan; do
	ip=$((ip + $(count $step passed)))
	if_=$((if_ + $(count $step failed) + $(count $step error)))
	is=$((is + $(count $step skipped)))
done
# mk/fuzz.sh's last line: "fuzz: 27 passed, 0 failed"; without it the
# step did not run, which is a failure, never a pass.
fline=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log/fuzz" 2>/dev/null | tail -n 1)
fp=$(echo "$fline" | sed -n 's/^fuzz: \([0-9]*\) passed.*/\1/p')
ff=$(echo "$fline" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
fp=${fp:-0}
ff=${ff:-1}
fuzz_rc=$(cat "$log/fuzz.rc" 2>/dev/null || echo 1)
[ "$fuzz_rc" -eq 0 ] || [ "$ff" -gt 0 ] || ff=1
[ "$status" -eq 0 ] || [ "$uf" -gt 0 ] || [ "$if_" -gt 0 ] || [ "$ff" -gt 0 ] || uf=$((uf + 1))
echo "unit tests (plain and ASan+UBSan): $up passed, $uf failed"
echo "fuzz targets (a fixed number of runs each): $fp passed, $ff failed"
echo "integration tests (plain and ASan+UBSan programs): $ip passed, $if_ failed, $is skipped"
echo "check: $((up + fp + ip)) passed, $((uf + ff + if_)) failed"
exit $status
