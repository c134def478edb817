# imapd/: the IMAP monitor and login process (imapd) and the session
# program run as the mailbox owner (imapsession).  The command reader and
# tokenizer (imap_read.c, imap_parse.c) are in both.

PROGS += imapd imapsession

# The MIME side of imapd (issue 13): IMAP string quoting, ENVELOPE,
# BODYSTRUCTURE and BODY[section] lookup over lib/mime; in imapsession
# and in the unit tests that check it.
IMAP_MIME_SRCS = $(addprefix imapd/,imap_quote.c imap_address.c \
                 imap_envelope.c imap_bodystructure.c imap_section.c)

SRCS_imapd       = $(addprefix imapd/,imapd.c imapd_login.c imapd_session.c \
                   imap_read.c imap_parse.c)
SRCS_imapsession = $(addprefix imapd/,imapsession.c imap_cmd.c imap_resp.c \
                   imap_read.c imap_parse.c imap_seq.c imap_utf7.c \
                   mailbox_name.c imap_mailbox.c imap_list.c imap_select.c \
                   imap_folders.c imap_fetch.c imap_fetch_body.c \
                   imap_mime.c imap_store.c imap_copy.c imap_append.c \
                   imap_search_keys.c imap_search.c imap_idle.c \
                   store_folder.c store_sync.c store_scan.c \
                   store_uidlist.c store_keywords.c store_cache.c \
                   store_flags.c) $(IMAP_MIME_SRCS)

# imapsession links libc, libbsd and libseccomp only, statically unless a
# sanitizer is on (STATIC_PIE= links it dynamically): a session then maps
# no page it does not run (docs/architecture.md).
LDFLAGS_imapsession = $(STATIC_PIE)
LIBS_imapsession = $(shell pkg-config $(if $(STATIC_PIE),--static) --libs \
                   libbsd-overlay libseccomp 2>/dev/null)
