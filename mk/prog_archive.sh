#!/bin/sh
# mk/prog_archive.sh ARCHIVE OBJECT...: an archive of a program's objects
# for the unit tests and fuzz targets that drive its code (Makefile,
# TEST_PROGS_ and FUZZ_PROGS_), without the object that defines main: a
# test and libFuzzer bring their own, and a program's main pulled in by
# the linker would run instead.
set -eu
archive=$1
shift
rm -f "$archive"
keep=""
for o in "$@"; do
	if nm --defined-only "$o" | grep -q ' [TW] main$'; then
		continue
	fi
	keep="$keep $o"
done
# One ar call into a new archive: two objects of one name (x.c of two
# folders) are both kept as members, and the linker finds each symbol.
# shellcheck disable=SC2086
ar rcs "$archive" $keep
