/*
 * deliver_maildir: local delivery of one queued message to one Maildir,
 * in the calling process.  lspawn's delivery workers call it, once per
 * job, after dropping to the recipient (no exec: see
 * docs/architecture.md, Decisions); the standalone deliver(8) program
 * calls it for manual use.
 *
 * It checks its values again (no control bytes, a valid queue ID, an
 * absolute Maildir path), refuses to run as root, reads the header
 * section of the message (at most HEADER_SCAN_MAX octets) and refuses the
 * message when a Delivered-To: field already names the recipient (a mail
 * loop), creates the Maildir when it is missing (0700), and writes
 * "Return-Path: <SENDER>\nDelivered-To: RECIPIENT\n" followed by the
 * message byte for byte (tmp/, fsync, link into new/, fsync of new/),
 * under a name made from the queue ID and the recipient, the same at
 * every attempt, so that a second attempt after a lost result delivers
 * nothing (lib/maildir/maildir_once.c).
 * It does not trust the message.
 *
 * Trust: see deliver_maildir.c.
 */
#ifndef FACTEUR_DELIVER_MAILDIR_H
#define FACTEUR_DELIVER_MAILDIR_H
#include <stddef.h>

#include "gsync.h"

/* Exit codes, qmail-local's. */
#define DELIVER_OK		0	/* delivered */
#define DELIVER_PERM		100	/* permanent failure: bounce */
#define DELIVER_TEMP		111	/* temporary failure: retry */

#define DELIVER_TEXT_MAX	500	/* octets of the result line */
#define DELIVER_PATH_MAX	4096	/* octets of the Maildir path */

struct delivery {
	const char	*sender;	/* "" for the null sender */
	const char	*rcpt;
	const char	*id;		/* queue ID */
	const char	*maildir;	/* absolute path */
	/*
	 * 1: an earlier attempt may have delivered it (its result was never
	 * recorded): look in new/ and cur/ first (docs/queue.md, "Exactly
	 * once").  Every delivery is named from id and rcpt and never
	 * linked over an existing file, whatever check says.
	 */
	int		 check;
	/* NULL, or the group commit of new/ with the recipient's other
	 * deliveries (lib/base/gsync.h), waiting at most window_ms */
	struct gsync	*gsync;
	int		 window_ms;
};

/*
 * Delivers the message read from msgfd (at its current offset: a regular
 * file or a pipe).  Returns DELIVER_OK, DELIVER_PERM or DELIVER_TEMP and
 * puts one printable line (no line ending, control bytes replaced by '?')
 * in text, truncated to textsz - 1 octets.
 */
int	deliver_maildir(const struct delivery *, int msgfd, char *text,
	    size_t textsz);

/* Writes text and "\n" to fd (lspawn's pipe); -1 when that fails. */
int	deliver_report(int fd, const char *text);

#endif
