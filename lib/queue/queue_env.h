/*
 * queue_env: the envelope file of a queued message (queue/env/<id>),
 * written once by enqueue and read by queued.  NUL-terminated records,
 * each a one-letter tag and a value, in this order:
 *
 *   V1        format version
 *   I<id>     queue ID
 *   A<time>   arrival, seconds since the epoch, decimal
 *   U<uid>    real uid of the process that ran enqueue, decimal
 *   F<addr>   envelope sender ("" for the null sender)
 *   P<origin> optional: smtp, local or bounce (how the message came)
 *   R<ret>    optional: FULL or HDRS, the DSN RET parameter
 *   D<envid>  optional: the DSN ENVID, decoded (lib/dsn/dsn.h)
 *   T<addr>   one per recipient, at least one, at most QUEUE_RCPT_MAX,
 *             each optionally followed by
 *     N<notify>  its DSN NOTIFY ("SUCCESS,DELAY", "NEVER", ...)
 *     O<orcpt>   its DSN ORCPT, "addr-type;address" decoded
 *   E         end; a file without it is corrupt
 *
 * No value may hold a control byte (below 0x20, or 0x7f).  The optional
 * records came with issue 14 (DSN): a file without them reads as before,
 * and one with them is corrupt to a queued older than that.
 *
 * Trust: see queue_env.c.
 */
#ifndef FACTEUR_QUEUE_ENV_H
#define FACTEUR_QUEUE_ENV_H
#include <stddef.h>
#include "buf.h"
#include "queueid.h"

#define QUEUE_RCPT_MAX	10000
#define QUEUE_ADDR_MAX	1000	/* octets in one address record */

/* How a message came into the queue (the P record). */
enum queue_origin { QUEUE_ORIGIN_NONE = 0, QUEUE_ORIGIN_SMTP,
	QUEUE_ORIGIN_LOCAL, QUEUE_ORIGIN_BOUNCE };

struct queue_env {
	char	  id[QUEUEID_LEN + 1];
	long long arrival;
	long long uid;
	char	 *sender;
	char	**rcpt;
	size_t	  nrcpt;
	/* issue 14: all optional (0, NULL) */
	int	  origin;	/* enum queue_origin */
	int	  ret;		/* enum dsn_ret */
	char	 *envid;	/* NULL: none */
	int	 *notify;	/* per recipient (DSN_NOTIFY_*); NULL: none */
	char	**orcpt;	/* per recipient, entries may be NULL; NULL */
};

int	queue_env_encode(struct buf *, const struct queue_env *);
/* 0, or -1 with *why; on success free with queue_env_free. */
int	queue_env_decode(const char *, size_t, struct queue_env *,
	    const char **why);
void	queue_env_free(struct queue_env *);
/* 1 if s (n bytes) is fit for a record: no control byte, n <= max. */
int	queue_value_ok(const char *s, size_t n);
/* "smtp", "local", "bounce", or "" for none; and back (-1: unknown). */
const char *queue_origin_text(int origin);
int	queue_origin_parse(const char *s, int *origin);

#endif
