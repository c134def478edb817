#!/bin/sh
# `make fuzz`: builds every tests/fuzz/fuzz_*.c as a libFuzzer target with
# clang (-fsanitize=fuzzer,address,undefined), linked against lib/*/*.c
# and the program files that have a target (PROG_SRCS below) compiled by
# clang into build-fuzz/, and runs each for FUZZ_SECONDS
# (default 30) on its seed corpus tests/fuzz/corpus/<name>/, where <name> is
# the file name without "fuzz_" and ".c".
#
#   sh mk/fuzz.sh                 build and run every target
#   sh mk/fuzz.sh addr_path       only the named targets
#   FUZZ_SECONDS=600 sh mk/fuzz.sh
#   FUZZ_ARGS=-max_len=70000 sh mk/fuzz.sh addr_list   extra libFuzzer flags
#
# New inputs go to build-fuzz/corpus/<name>/ (the seed directories in the
# tree are only read); crashes to build-fuzz/crashes/<name>-*.  Installs
# nothing: without clang's libFuzzer (Debian: libclang-rt-14-dev) it says
# so and exits 1.  Exit status: 0 when every target ran clean, 1 otherwise.
set -u
cd "$(dirname "$0")/.." || exit 1

CC=${FUZZ_CC:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-30}
EXTRA=${FUZZ_ARGS:-}
OUT=${FUZZ_BUILD:-build-fuzz}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found; install clang (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi
mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/crashes" || exit 1

# libFuzzer ships apart from clang on Debian: check before building.
probe="$OUT/probe.c"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' > "$probe"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$OUT/probe" "$probe" \
    >"$OUT/probe.log" 2>&1; then
	cat "$OUT/probe.log" >&2
	echo "fuzz: $CC has no libFuzzer runtime; install libclang-rt-14-dev (Debian 12) or the libclang-rt-dev matching your clang" >&2
	exit 1
fi

# The Makefile's package list and defines, so lib/ compiles the same way.
PKGS=$(sed -n 's/^PKGS *:*= *//p' Makefile | head -n 1)
PKGS=${PKGS:-openssl libbsd-overlay libcrypt}
if ! PKG_CFLAGS=$(pkg-config --cflags $PKGS) ||
    ! PKG_LIBS=$(pkg-config --libs $PKGS); then
	echo "fuzz: pkg-config failed for: $PKGS (run make deps)" >&2
	exit 1
fi
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c17 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-command-line-argument \
    $SAN $(for d in lib/*/ $(dirname */sources.mk); do printf -- '-I%s ' "$d"; done) $PKG_CFLAGS \
    -DFACTEUR_CONF_DEFAULT=\"/etc/facteur/facteur.conf\" \
    -DFACTEUR_LIBEXEC_DEFAULT=\"/usr/local/libexec/facteur\" \
    -DFACTEUR_QUEUE_DEFAULT=\"/var/spool/facteur\""

# Program code that has a fuzz target of its own (a channel or a parser
# that lives with its program).
PROG_SRCS="deliver/deliver_wire.c pop3d/pop3_cmd.c imapd/imap_quote.c \
    imapd/imap_address.c imapd/imap_envelope.c imapd/imap_bodystructure.c \
    imapd/imap_section.c imapd/imap_read.c imapd/imap_parse.c \
    imapd/imap_seq.c imapd/imap_utf7.c imapd/mailbox_name.c \
    imapd/imap_cmd.c imapd/imap_resp.c imapd/imap_mailbox.c \
    imapd/imap_list.c imapd/imap_folders.c imapd/imap_select.c \
    imapd/imap_fetch.c imapd/imap_fetch_body.c imapd/imap_mime.c \
    imapd/imap_store.c imapd/imap_copy.c imapd/imap_append.c \
    imapd/imap_search_keys.c imapd/imap_search.c imapd/imap_idle.c \
    imapd/store_folder.c imapd/store_sync.c imapd/store_scan.c \
    imapd/store_uidlist.c \
    imapd/store_keywords.c imapd/store_cache.c imapd/store_flags.c"

echo "== fuzz: compiling lib/*/*.c and $PROG_SRCS with $CC"
objs=""
for src in lib/*/*.c $PROG_SRCS; do
	[ -f "$src" ] || continue
	obj="$OUT/obj/$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	if ! "$CC" $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src"; then
		echo "fuzz: $src does not compile with $CC" >&2
		exit 1
	fi
	objs="$objs $obj"
done
rm -f "$OUT/libfacteur.a"
# shellcheck disable=SC2086
ar rcs "$OUT/libfacteur.a" $objs || exit 1

if [ $# -gt 0 ]; then
	targets=""
	for t in "$@"; do
		t=${t#fuzz_}; t=${t%.c}
		if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
			echo "fuzz: no tests/fuzz/fuzz_$t.c" >&2
			exit 1
		fi
		targets="$targets tests/fuzz/fuzz_$t.c"
	done
else
	targets=$(ls tests/fuzz/fuzz_*.c 2>/dev/null)
fi
if [ -z "$targets" ]; then
	echo "fuzz: no targets in tests/fuzz/" >&2
	exit 1
fi

status=0
summary=""
for src in $targets; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin="$OUT/fuzz_$name"
	echo "== fuzz: building $bin"
	# shellcheck disable=SC2086
	if ! "$CC" $CFLAGS -fsanitize=fuzzer -o "$bin" "$src" \
	    "$OUT/libfacteur.a" $PKG_LIBS; then
		summary="$summary fuzz_$name:build-failed"
		status=1
		continue
	fi
	seeds="tests/fuzz/corpus/$name"
	mkdir -p "$seeds" "$OUT/corpus/$name" || exit 1
	echo "== fuzz: running fuzz_$name for ${SECONDS_EACH}s (seeds: $seeds)"
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $EXTRA \
	    -artifact_prefix="$OUT/crashes/$name-" \
	    "$OUT/corpus/$name" "$seeds" > "$OUT/fuzz_$name.log" 2>&1; then
		summary="$summary fuzz_$name:ok"
	else
		tail -n 60 "$OUT/fuzz_$name.log"
		echo "fuzz: fuzz_$name failed; reproduce with: $bin $OUT/crashes/$name-*" >&2
		summary="$summary fuzz_$name:FAILED"
		status=1
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
	    "$OUT/fuzz_$name.log" | tail -n 2
done
echo "fuzz:$summary"
exit $status
