# facteur: plain Makefile.  `make` builds every program into $(BUILD)/,
# `make check` runs unit and integration tests, plain and under ASan+UBSan,
# `make run` starts the embedded default, `make bench` the benchmarks.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3

SBINDIR    = $(PREFIX)/sbin
LIBEXECDIR = $(PREFIX)/libexec/facteur
SYSCONFDIR ?= /etc/facteur
QUEUEDIR   ?= /var/spool/facteur
MANDIR     = $(PREFIX)/share/man

PKGS     = openssl libbsd-overlay libcrypt libcares libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# PAM (system accounts' passwords) when its headers are installed.
HAVE_PAM   := $(shell pkg-config --exists pam 2>/dev/null && echo yes)
PAM_CFLAGS := $(if $(HAVE_PAM),-DHAVE_PAM)
PAM_LIBS   := $(if $(HAVE_PAM),$(shell pkg-config --libs pam))

HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
           -fstack-clash-protection -fcf-protection
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS_ALL = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wformat=2 -Wno-format-nonliteral $(OPT) $(HARDEN) $(SAN) \
           $(if $(SAN),-DFACTEUR_SANITIZER) \
           $(addprefix -I,$(LIB_DIRS)) $(PROG_INCS) $(PKG_CFLAGS) $(PAM_CFLAGS) \
           -DFACTEUR_CONF_DEFAULT='"$(SYSCONFDIR)/facteur.conf"' \
           -DFACTEUR_LIBEXEC_DEFAULT='"$(LIBEXECDIR)"' \
           -DFACTEUR_QUEUE_DEFAULT='"$(QUEUEDIR)"' $(CFLAGS)
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN) $(LDFLAGS)
LIBS     = $(PKG_LIBS) $(PAM_LIBS)

# lib/ is shared code in folders by subject (docs/architecture.md has the
# map); header names are unique across it, so every folder is on the
# include path and a source names a header, not where it lives.
LIB_DIRS  := $(sort $(dir $(wildcard lib/*/*.c lib/*/*.h)))
LIB_SRCS  := $(wildcard lib/*/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIBA      := $(BUILD)/libfacteur.a

# Each program folder's sources.mk adds its programs to PROGS and lists
# each program's files in SRCS_<program> (and any LDFLAGS_ or LIBS_ of its
# own).
STATIC_PIE ?= $(if $(SAN),,-static-pie)
PROGS :=
PROG_DIRS := $(patsubst %/sources.mk,%,$(sort $(wildcard */sources.mk)))
include $(PROG_DIRS:%=%/sources.mk)

# Tests and fuzz targets may also include a program's own headers.
$(BUILD)/obj/tests/%.o: PROG_INCS = $(addprefix -I,$(PROG_DIRS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
include tests/unit/sources.mk
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Fuzz targets: every tests/fuzz/fuzz_*.c is a libFuzzer program, built
# (by mk/fuzz.sh, with clang) into $(BUILD)-fuzz/fuzz/.  Each links lib/
# and what tests/fuzz/sources.mk names for it: programs (FUZZ_PROGS_, all
# of SRCS_<program> but the file with main, as an archive) and files
# (FUZZ_SRCS_).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
include tests/fuzz/sources.mk
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

# Keep unit-test objects (make would delete them as intermediates).
.SECONDARY:

.PHONY: all deps check check-unit check-asan check-integration \
        check-integration-asan check-fuzz test-variants run bench \
        install clean fuzz fuzz-bins
all: $(addprefix $(BUILD)/,$(PROGS))

HEADERS := $(wildcard lib/*/*.h */*.h tests/unit/*.h tests/fuzz/*.h)
$(BUILD)/obj/%.o: %.c $(HEADERS) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD)

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# With sanitizers, the programs also get mk/san_options.c (leak checks
# off in the programs only; see that file).
SAN_OBJS = $(if $(SAN),$(BUILD)/obj/mk/san_options.o)

objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

define prog_rule
$(BUILD)/$(1): $(call objs,$(SRCS_$(1))) $(SAN_OBJS) $(LIBA)
	$(CC) $(LDFLAGS_ALL) $(LDFLAGS_$(1)) -o $$@ $$^ $(or $(LIBS_$(1)),$(LIBS))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Test-only builds of programs (never in `all`, never installed): a
# program folder's sources.mk names one in TEST_VARIANTS, with
# VARIANT_PROGS_<name> (the programs) and VARIANT_CFLAGS_<name>; they are
# built from objects of their own into $(BUILD)/<name>/, for the
# integration tests (check-integration builds them).
define variant_rule
$(BUILD)/$(1)/obj/%.o: %.c $(HEADERS) | $(BUILD)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $(VARIANT_CFLAGS_$(1)) -c -o $$@ $$<
endef
define variant_prog_rule
$(BUILD)/$(1)/$(2): $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(SRCS_$(2))) $(SAN_OBJS) $(LIBA)
	$(CC) $(LDFLAGS_ALL) $(LDFLAGS_$(2)) -o $$@ $$^ $(or $(LIBS_$(2)),$(LIBS))
endef
$(foreach v,$(TEST_VARIANTS),$(eval $(call variant_rule,$(v))) \
    $(foreach p,$(VARIANT_PROGS_$(v)),$(eval $(call variant_prog_rule,$(v),$(p)))))
TEST_VARIANT_BINS := $(foreach v,$(TEST_VARIANTS),$(addprefix $(BUILD)/$(v)/,$(VARIANT_PROGS_$(v))))
test-variants: $(TEST_VARIANT_BINS)

# A program's objects for the unit tests and fuzz targets that drive its
# code: an archive (mk/prog_archive.sh), so a test takes only the files
# it needs, whatever they need in turn, and never the one that defines
# main.  Objects are named by their path, so two programs' files of one
# name never collide.
progs_a = $(foreach p,$(1),$(BUILD)/progs/$(p).a)
define prog_archive_rule
$(BUILD)/progs/$(1).a: $(call objs,$(SRCS_$(1))) mk/prog_archive.sh
	@mkdir -p $$(dir $$@)
	@sh mk/prog_archive.sh $$@ $(call objs,$(SRCS_$(1)))
endef
$(foreach p,$(PROGS),$(eval $(call prog_archive_rule,$(p))))

# A unit test links lib/ and, when it tests program code, what
# tests/unit/sources.mk names for it: files (TEST_SRCS_test_<name>) or
# programs (TEST_PROGS_test_<name>, each program's archive above), and
# TEST_LDFLAGS_ of its own.
define unit_rule
$(BUILD)/tests/$(1): $(BUILD)/obj/tests/unit/$(1).o $(call objs,$(TEST_SRCS_$(1))) $(call progs_a,$(TEST_PROGS_$(1))) $(LIBA)
	@mkdir -p $$(dir $$@)
	$(CC) $(LDFLAGS_ALL) $(TEST_LDFLAGS_$(1)) -o $$@ $$^ -lcmocka $(LIBS)
endef
$(foreach t,$(UNIT_SRCS:tests/unit/%.c=%),$(eval $(call unit_rule,$(t))))

define fuzz_rule
$(BUILD)/fuzz/$(1): $(BUILD)/obj/tests/fuzz/$(1).o $(call objs,$(FUZZ_SRCS_$(1))) $(call progs_a,$(FUZZ_PROGS_$(1))) $(LIBA)
	@mkdir -p $$(dir $$@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $$@ $$^ $(LIBS)
endef
$(foreach t,$(FUZZ_SRCS:tests/fuzz/%.c=%),$(eval $(call fuzz_rule,$(t))))

# Only with clang and SAN=-fsanitize=fuzzer-no-link,...: mk/fuzz.sh.
fuzz-bins: $(FUZZ_BINS)

# `make deps` installs (as root on Debian) or names what is missing.
deps:
	@sh mk/deps.sh

check: deps
	@sh mk/check.sh

check-unit: $(UNIT_BINS) all
	@sh mk/run-unit.sh $(BUILD) $(UNIT_BINS)

check-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    check-unit

check-integration: all test-variants
	@FACTEUR_BUILD=$(abspath $(BUILD)) sh mk/run-integration.sh

# Not part of `make check` (it takes twice as long): every program built
# with ASan+UBSan, then the integration tests against them.
check-integration-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    check-integration

# deps runs first, then a fresh make: pkg-config must see what it installed.
run: deps
	@$(MAKE) --no-print-directory all
	@FACTEUR_BUILD=$(abspath $(BUILD)) sh mk/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@FACTEUR_BUILD=$(abspath $(BUILD)) sh bench/run.sh

# libFuzzer targets (clang): `make fuzz` runs each for FUZZ_SECONDS
# (mk/fuzz.sh); `make check-fuzz`, part of `make check`, runs each a fixed
# number of times over its seed corpus, so that a run is repeatable.
fuzz:
	@FUZZ_BUILD=$(BUILD)-fuzz sh mk/fuzz.sh

check-fuzz:
	@FUZZ_BUILD=$(BUILD)-fuzz sh mk/fuzz.sh -c

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do \
	    case $$p in \
	    sendmail|facteurctl|facteur) install -m 0755 $(BUILD)/$$p $(DESTDIR)$(SBINDIR)/$$p ;; \
	    *) install -m 0755 $(BUILD)/$$p $(DESTDIR)$(LIBEXECDIR)/$$p ;; \
	    esac; \
	done
	@if [ "$$(id -u)" = 0 ] && id facteur-queue >/dev/null 2>&1; then \
	    chown facteur-queue $(DESTDIR)$(LIBEXECDIR)/enqueue && \
	    chmod 4711 $(DESTDIR)$(LIBEXECDIR)/enqueue && \
	    echo "install: enqueue is set-uid facteur-queue"; \
	else \
	    echo "install: make enqueue set-uid facteur-queue (INSTALL, section 3):"; \
	    echo "    chown facteur-queue $(DESTDIR)$(LIBEXECDIR)/enqueue && chmod 4711 $(DESTDIR)$(LIBEXECDIR)/enqueue"; \
	fi
	ln -sf sendmail $(DESTDIR)$(SBINDIR)/mailq
	ln -sf sendmail $(DESTDIR)$(SBINDIR)/newaliases
	for m in man/*.[158]; do \
	    [ -f "$$m" ] || continue; \
	    s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
