#!/bin/sh
# The libFuzzer targets: every tests/fuzz/fuzz_<name>.c, built by the
# Makefile (`fuzz-bins`: the same rules, sources lists and flags as the
# programs, compiled by clang with -fsanitize=fuzzer-no-link,address,
# undefined) into $FUZZ_BUILD/fuzz/, each run on its seed corpus
# tests/fuzz/corpus/<name>/.
#
#   sh mk/fuzz.sh                 build, then fuzz each for FUZZ_SECONDS
#                                 (default 30); new inputs are kept in
#                                 $FUZZ_BUILD/corpus/<name>/
#   sh mk/fuzz.sh addr_path ...   only the named targets
#   sh mk/fuzz.sh -c [name...]    the check (`make check-fuzz`, part of
#                                 `make check`): each target FUZZ_RUNS
#                                 times (default 10000) with -seed=1 over
#                                 its seeds alone, so that a run is
#                                 repeatable; FUZZ_JOBS (default 2) at once
#   FUZZ_ARGS=-max_len=70000 sh mk/fuzz.sh addr_list   more libFuzzer flags
#
# The seed directories in the tree are only read: libFuzzer writes new
# inputs into the first directory it is given, which is always one under
# $FUZZ_BUILD (emptied first in the check).  Crashes go to
# $FUZZ_BUILD/crashes/<name>-*.  Installs nothing: without clang and its
# libFuzzer (Debian: clang, libclang-rt-14-dev; mk/deps.sh installs them)
# every target counts as failed.  The last line says
# "fuzz: N passed, N failed"; the exit status is 0 only when every target
# was built and ran clean.
set -u
cd "$(dirname "$0")/.." || exit 1

CC=${FUZZ_CC:-clang}
MAKE=${MAKE:-make}
OUT=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-30}
RUNS=${FUZZ_RUNS:-10000}
JOBS=${FUZZ_JOBS:-2}
EXTRA=${FUZZ_ARGS:-}
# A whole target may take this long (seconds) before it counts as hung.
LIMIT=${FUZZ_LIMIT:-300}
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# for the runs below, each a `sh mk/fuzz.sh --run`
export FUZZ_BUILD="$OUT" FUZZ_SECONDS="$SECONDS_EACH" FUZZ_RUNS="$RUNS" \
    FUZZ_ARGS="$EXTRA" FUZZ_LIMIT="$LIMIT"

# ---- one target, run by xargs below: sh mk/fuzz.sh --run MODE NAME ----
if [ "${1:-}" = "--run" ]; then
	mode=$2 name=$3
	bin="$OUT/fuzz/fuzz_$name"
	seeds="tests/fuzz/corpus/$name"
	log="$OUT/log/fuzz_$name.log"
	res="$OUT/result/fuzz_$name"
	new="$OUT/corpus/$name"
	if [ ! -x "$bin" ] || [ -f "$res.stale" ]; then
		echo "fuzz: fuzz_$name: FAILED (did not build; $OUT/log/build.log)"
		echo failed > "$res"
		exit 0
	fi
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		echo "fuzz: fuzz_$name: FAILED (no seed corpus in $seeds)"
		echo failed > "$res"
		exit 0
	fi
	if [ "$mode" = check ]; then
		rm -rf "$new"
		set -- -runs="$RUNS" -seed=1
	else
		set -- -max_total_time="$SECONDS_EACH"
	fi
	mkdir -p "$new"
	start=$(date +%s)
	# shellcheck disable=SC2086
	if timeout -k 5 "$LIMIT" "$bin" "$new" "$seeds" "$@" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 $EXTRA \
	    -artifact_prefix="$OUT/crashes/$name-" > "$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: fuzz_$name: ok, ${runs:-?} runs in $(($(date +%s) - start)) s"
		echo passed > "$res"
	else
		tail -n 40 "$log"
		echo "fuzz: fuzz_$name: FAILED; log $log; reproduce with" \
		    "$bin $OUT/crashes/$name-*"
		echo failed > "$res"
	fi
	exit 0
fi

mode=long
if [ "${1:-}" = "-c" ]; then
	mode=check
	shift
fi
if [ $# -gt 0 ]; then
	names=""
	for t in "$@"; do
		t=${t#fuzz_}
		t=${t%.c}
		names="$names $t"
	done
else
	names=$(for f in tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] || continue
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done)
fi
total=$(echo $names | wc -w)
if [ "$total" -eq 0 ]; then
	echo "fuzz: no targets in tests/fuzz/" >&2
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
for t in $names; do
	if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
		echo "fuzz: no tests/fuzz/fuzz_$t.c" >&2
		echo "fuzz: 0 passed, $total failed"
		exit 1
	fi
done

# Every target fails when the tool chain is missing: a check that could
# not run never counts as passed.
cannot() {
	echo "fuzz: $1" >&2
	echo "fuzz: 0 passed, $total failed"
	exit 1
}
command -v "$CC" >/dev/null 2>&1 ||
	cannot "$CC not found; install clang and libclang-rt-14-dev (make deps)"
mkdir -p "$OUT/fuzz" "$OUT/log" "$OUT/result" "$OUT/corpus" \
    "$OUT/crashes" || exit 1
probe="$OUT/probe.c"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' > "$probe"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$OUT/probe" "$probe" \
    > "$OUT/probe.log" 2>&1; then
	cat "$OUT/probe.log" >&2
	cannot "$CC has no libFuzzer runtime; install libclang-rt-14-dev (Debian 12) or the libclang-rt-dev matching your clang"
fi

began=$(date +%s)
bins=""
for t in $names; do
	bins="$bins $OUT/fuzz/fuzz_$t"
	rm -f "$OUT/result/fuzz_$t" "$OUT/result/fuzz_$t.stale"
done
# shellcheck disable=SC2086
echo "== fuzz: building" $names "with $CC into $OUT"
fuzz_make() {
	$MAKE --no-print-directory BUILD="$OUT" CC="$CC" OPT="-O1 -g" \
	    SAN="$SAN" "$@"
}
# -k: a target that does not build fails alone, the others still run.
# shellcheck disable=SC2086
if ! fuzz_make -k -j"$JOBS" $bins > "$OUT/log/build.log" 2>&1; then
	grep -v '^clang \|^ar \|^cc ' "$OUT/log/build.log" >&2
	# a binary left from an earlier build is not this source's: it fails
	for t in $names; do
		fuzz_make -q "$OUT/fuzz/fuzz_$t" > /dev/null 2>&1 ||
			: > "$OUT/result/fuzz_$t.stale"
	done
fi

if [ "$mode" = check ]; then
	echo "== fuzz: running each target $RUNS times, seed 1, $JOBS at once"
else
	echo "== fuzz: running each target for $SECONDS_EACH s, $JOBS at once"
fi
# shellcheck disable=SC2086
printf '%s\n' $names | xargs -P "$JOBS" -n 1 sh mk/fuzz.sh --run "$mode"

passed=0
failed=0
failures=""
for t in $names; do
	if [ "$(cat "$OUT/result/fuzz_$t" 2>/dev/null)" = passed ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures fuzz_$t"
	fi
done
[ -z "$failures" ] || echo "fuzz: failed:$failures"
echo "fuzz: built and ran in $(($(date +%s) - began)) s"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
