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

#define MAILDIR_NAME_MAX	255

/* mkdir -p of dir and dir/{cur,new,tmp} with mode (0700 usual). */
int	maildir_create(const char *dir, mode_t);
/* "<sec>.M<usec>P<pid>Q<n>.<host>" with '/' and ':' in host escaped. */
int	maildir_unique(char *out, size_t n);
/*
 * Writes head (hlen bytes, may be 0) followed by everything read from
 * msgfd into a new message of the Maildir `dir`.  Returns 0 and the
 * file's base name in name, or -1 with errno (the tmp file is removed).
 * *size gets the octets written.  maxsize 0 means no limit.
 */
int	maildir_deliver(const char *dir, const void *head, size_t hlen,
	    int msgfd, char *name, size_t namesz, size_t *size);

#endif
