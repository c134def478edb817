# smtpd/: the SMTP server.  File names say which process runs the code
# (docs/architecture.md, "smtpd's files"):
#   session*.c   a session (chrooted, smtpd_user), in smtpd or smtpsession
#   monitor*.c   a monitor: a per-connection smtpd, or the resident
#   resident*.c  the resident smtpd (smtpd -R) and its AUTH children
#   qwriter.c    a resident's queue writer
#   smtpd.c      the program: options, configuration, the per-connection
#                split; smtpd_conn.c is run by every session before it talks
#   smtpsession.c  the program that forks a resident's plaintext sessions

PROGS += smtpd smtpsession

# The session's files: the SMTP dialogue, run by both programs.
SMTPD_SESSION_SRCS = $(addprefix smtpd/,session.c session_auth.c \
                     session_cmd.c session_data.c session_dns.c \
                     session_subvert.c session_received.c \
                     smtpd_conn.c)

SRCS_smtpd       = $(SMTPD_SESSION_SRCS) $(addprefix smtpd/,smtpd.c \
                   session_tls.c monitor.c monitor_check.c monitor_local.c \
                   monitor_queue.c monitor_relay.c monitor_tx.c \
                   resident.c resident_auth.c resident_conn.c \
                   resident_qpool.c resident_smtpsession.c resident_wire.c \
                   qwriter.c)
SRCS_smtpsession = $(SMTPD_SESSION_SRCS) smtpd/smtpsession.c \
                   smtpd/session_handoff.c

# smtpsession is linked like pop3session: statically, without OpenSSL.
LDFLAGS_smtpsession = $(STATIC_PIE)
LIBS_smtpsession = $(shell pkg-config $(if $(STATIC_PIE),--static) --libs \
                   libbsd-overlay libcares libseccomp 2>/dev/null)

# A test-only build, never installed and never in `all`: both programs
# with a deliberately subverted session (session_subvert.c), into
# $(BUILD)/subverted/, for tests/integration/test_attack_smtpd_*.py.
TEST_VARIANTS += subverted
VARIANT_PROGS_subverted = smtpd smtpsession
VARIANT_CFLAGS_subverted = -DSMTPD_SUBVERTED
