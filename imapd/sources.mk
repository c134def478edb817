# imapd/: the MIME side of imapd (issue 13): IMAP string quoting,
# ENVELOPE, BODYSTRUCTURE and BODY[section] lookup over lib/mime.  The
# programs' own lists (PROGS += imapd ...; SRCS_<prog> = ...) add
# $(IMAP_MIME_SRCS) to the program that answers FETCH.

IMAP_MIME_SRCS = $(addprefix imapd/,imap_quote.c imap_address.c \
                 imap_envelope.c imap_bodystructure.c imap_section.c)
