#!/bin/sh
# Runs every unit test binary given; prints a total line at the end.
set -u
build=$1; shift
pass=0; fail=0; failed=""
for t in "$@"; do
	if "$t" > "$build/$(basename "$t").log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed $(basename "$t")"
		cat "$build/$(basename "$t").log"
	fi
	# cmocka prints "[  PASSED  ] N test(s)."; add them up for the summary.
	n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$build/$(basename "$t").log" | tail -n 1)
	echo "unit: $(basename "$t"): ${n:-0} passed"
done
echo "unit ($build): $pass files passed, $fail failed${failed:+ -$failed}"
[ "$fail" -eq 0 ]
