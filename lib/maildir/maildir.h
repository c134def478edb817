/*
 * maildir: writing into and naming files of a Maildir (D. J. Bernstein's
 * format, as mutt, Dovecot and Courier read it).  Delivery is tmp/, fsync,
 * link into new/ (rename where link is not allowed), fsync of new/.
 *
 * Trust: see maildir.c.
 */
#ifndef FACTEUR_MAILDIR_H
#define FACTEUR_MAILDIR_H
#include <stddef.h>
#include <sys/types.h>

#include "gsync.h"

#define MAILDIR_NAME_MAX	255

/* mkdir -p of dir and dir/{cur,new,tmp} with mode (0700 usual). */
int	maildir_create(const char *dir, mode_t);
/* "<sec>.M<usec>P<pid>Q<n>.<host>" with '/' and ':' in host escaped. */
int	maildir_unique(char *out, size_t n);
/* The host part of a name: gethostname with '/' and ':' escaped. */
int	maildir_host(char *out, size_t n);
/*
 * Writes head (hlen bytes, may be 0) followed by everything read from
 * msgfd into a new message of the Maildir `dir`.  Returns 0 and the
 * file's base name in name, or -1 with errno (the tmp file is removed).
 * *size gets the octets written.  maxsize 0 means no limit.
 */
int	maildir_deliver(const char *dir, const void *head, size_t hlen,
	    int msgfd, char *name, size_t namesz, size_t *size);

/*
 * How a delivery is placed (maildir_deliver_put): NULL is
 * maildir_deliver's way (a fresh unique name, a plain fsync of new/).
 */
struct maildir_put {
	/*
	 * NULL, or the file's name in new/, the same for every attempt at
	 * one message for one recipient (maildir_queue_name): the message
	 * is written under a unique name in tmp/ and linked to new/NAME,
	 * never over an existing file, so that an attempt made after an
	 * earlier one got through (a crash before its result was recorded)
	 * finds new/NAME and delivers nothing (docs/queue.md, "Exactly
	 * once").
	 */
	const char	*name;
	/* with name: first look for it in new/ and in cur/, any flags */
	int		 check;
	/* NULL, or the group commit of new/'s fsync (lib/base/gsync.h) */
	struct gsync	*gsync;
	int		 window_ms;
};

/*
 * maildir_deliver with put; *already is set to 1 when nothing was
 * delivered because put->name was there already (in new/, or in cur/
 * with check): a success, once new/ is fsynced.
 */
int	maildir_deliver_put(const char *dir, const struct maildir_put *put,
	    const void *head, size_t hlen, int msgfd, char *name,
	    size_t namesz, size_t *size, int *already);

/* maildir_once.c */
/*
 * The base name a queued message gets in a recipient's Maildir, the same
 * at every attempt: "<sec>.Q<queue ID>R<hash>.<host>", sec the arrival
 * second the queue ID holds, hash ten base32 digits of SHA-256 of the
 * final recipient (two recipients of one message may share a Maildir),
 * host as in maildir_unique.  0, or -1 (EINVAL: not a queue ID).
 */
int	maildir_queue_name(char *out, size_t n, const char *id,
	    const char *rcpt);
/*
 * 1 if the Maildir holds a message with base name `name`: new/NAME, or
 * in cur/ NAME alone or followed by ':' (flags) or ',' (a reader's
 * size fields); 0 if not; -1 with errno when it cannot tell.
 */
int	maildir_has(const char *dir, const char *name);

#endif
