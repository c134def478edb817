# smtpd/: the SMTP server (smtpd: resident, monitor, session, queue
# writers) and smtpsession, which forks a resident's plaintext sessions.

PROGS += smtpd smtpsession

# The session's files: the SMTP dialogue, run by both programs.
SMTPD_SESSION_SRCS = $(addprefix smtpd/smtpd_,session.c cmd.c data.c auth.c \
                     ipc.c dns.c conn.c)

SRCS_smtpd       = $(SMTPD_SESSION_SRCS) $(addprefix smtpd/smtpd_,monitor.c \
                   mqueue.c qwriter.c rconn.c relay.c resident.c spawn.c \
                   tls.c) smtpd/smtpd.c
SRCS_smtpsession = $(SMTPD_SESSION_SRCS) smtpd/smtpsession.c \
                   smtpd/smtpsession_tls.c

# smtpsession is linked like pop3session: statically, without OpenSSL.
LDFLAGS_smtpsession = $(STATIC_PIE)
LIBS_smtpsession = $(shell pkg-config $(if $(STATIC_PIE),--static) --libs \
                   libbsd-overlay libcares libseccomp 2>/dev/null)
