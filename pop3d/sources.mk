# pop3d/: the POP3 monitor and login process (pop3d) and the session
# program run as the mailbox owner (pop3session).  pop3_cmd.c, the command
# table, is in both.

PROGS += pop3d pop3session

SRCS_pop3d       = $(addprefix pop3d/,pop3d.c pop3d_login.c pop3d_session.c \
                   pop3_cmd.c)
SRCS_pop3session = $(addprefix pop3d/,pop3session.c pop3session_cmd.c \
                   pop3session_retr.c pop3_cmd.c)

# pop3session links libc, libbsd and libseccomp only, statically unless a
# sanitizer is on (STATIC_PIE= links it dynamically): a session then maps
# no page it does not run (docs/architecture.md).
LDFLAGS_pop3session = $(STATIC_PIE)
LIBS_pop3session = $(shell pkg-config $(if $(STATIC_PIE),--static) --libs \
                   libbsd-overlay libseccomp 2>/dev/null)
