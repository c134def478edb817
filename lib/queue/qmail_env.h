/*
 * qmail_env: the qmail-queue injection protocol that enqueue speaks, so
 * that qmail's filters and tools can exec it: the message on fd 0, then the
 * envelope on fd 1 as `F<sender>\0T<rcpt>\0T<rcpt>\0\0` (an empty record
 * ends it), and an exit code that says what happened.
 *
 * facteur's writers may add, after the empty record that ends it, what
 * the protocol has no room for: the DSN parameters of RFC 3461 and the
 * message's origin.  qmail-queue stops reading at that empty record, so
 * an envelope with the addition still works with it (the addition is
 * lost, nothing else), and a qmail filter that hands fd 1 on unread
 * passes it through.  The addition, facteur's envelope extension 1:
 *
 *   X1\0          the extension and its version (first)
 *   P<origin>\0   optional: smtp (honoured only from a trusted writer)
 *   R<ret>\0      optional: FULL or HDRS
 *   D<envid>\0    optional: ENVID, decoded (lib/dsn/dsn.h)
 *   then, for every recipient in the order of the T records, or for
 *   none at all:
 *   N<notify>\0   its NOTIFY, "" when not given
 *   O<orcpt>\0    its ORCPT decoded, "" when not given
 *   E\0           end (nothing after it is read)
 *
 * So the envelope is read to the end of its input (or to E).  A writer
 * that keeps fd 1 open after the envelope, as qmail-queue's callers may
 * (qmail-queue stops at the empty record), is not waited for: enqueue
 * takes the extension only when it follows at once
 * (lib/queue/queue_inject.c, ENV_TAIL_WAIT_MS).
 *
 * The reader is incremental: feed it the bytes as they arrive.  Limits:
 * QUEUE_ADDR_MAX octets per address, QUEUE_RCPT_MAX recipients (from
 * lib/queue/queue_env.h); an address may not hold a control byte (below 0x20,
 * or 0x7f), since it ends up in a queue record and in log lines.
 *
 * Trust: see qmail_env.c.
 */
#ifndef FACTEUR_QMAIL_ENV_H
#define FACTEUR_QMAIL_ENV_H
#include <stddef.h>
#include "buf.h"

/* Exit codes of enqueue, as qmail-queue(8): 11-40 permanent, others temporary. */
#define QMAIL_EXIT_OK		0
#define QMAIL_EXIT_ADDR_LONG	11	/* address too long */
#define QMAIL_EXIT_ENV_BAD	12	/* envelope malformed */
#define QMAIL_EXIT_RCPT_MANY	13	/* too many recipients */
#define QMAIL_EXIT_TOO_BIG	31	/* message over message_size_limit */
#define QMAIL_EXIT_CALLER	32	/* a config this caller may not choose */
#define QMAIL_EXIT_NOMEM	51	/* out of memory */
#define QMAIL_EXIT_TIMEOUT	52	/* timeout reading input */
#define QMAIL_EXIT_WRITE	53	/* write error or disk full */
#define QMAIL_EXIT_READ		54	/* cannot read message or envelope */
#define QMAIL_EXIT_CONF		55	/* cannot read config */
#define QMAIL_EXIT_QUEUE	62	/* queue directory problem */
#define QMAIL_EXIT_NOSPACE	71	/* queue filesystem below its reserve */
#define QMAIL_EXIT_INTERNAL	81	/* internal error */

/* 1 if an enqueue exit code is a permanent failure (11-40). */
int		 qmail_exit_permanent(int code);
/* A short English text for an exit code ("message too large", ...). */
const char	*qmail_exit_text(int code);
/*
 * The one log line of a failure, as enqueue writes it: "ID: refused: WHY
 * (exit N, TEXT)" for a permanent code, "ID: failed: ..." otherwise; id
 * is "-" before the message has one.
 */
void		 qmail_exit_log(const char *id, int code, const char *why);

enum qmail_env_status {
	QMAIL_ENV_MORE,		/* all bytes taken, the envelope is not over */
	QMAIL_ENV_DONE,		/* the envelope is whole */
	QMAIL_ENV_ERROR		/* see code and why; feed no more */
};

/* Where the reader is. */
enum qmail_env_part { QMAIL_PART_ENV, QMAIL_PART_TAIL, QMAIL_PART_EXT };

struct qmail_env {
	struct buf	  rec;		/* record being read, tag included */
	char		 *sender;	/* "" for the null sender */
	char		**rcpt;
	size_t		  nrcpt;
	size_t		  rcptcap;
	/* the extension: all optional (0, NULL) */
	int		  origin;	/* enum queue_origin, from P */
	int		  ret;		/* enum dsn_ret */
	char		 *envid;
	int		 *notify;	/* per recipient, when N records came */
	char		**orcpt;	/* per recipient, entries may be NULL */
	size_t		  ndsn;		/* N/O pairs read */
	int		  ext_step;	/* next record expected in it */
	enum qmail_env_part part;
	enum qmail_env_status status;
	int		  code;		/* QMAIL_EXIT_* once status is ERROR */
	const char	 *why;		/* static English reason */
};

void	qmail_env_init(struct qmail_env *);
void	qmail_env_free(struct qmail_env *);
/*
 * Feeds n bytes.  *used gets the bytes taken: all of them with
 * QMAIL_ENV_MORE, up to and including the final NUL with QMAIL_ENV_DONE
 * (the extension's E).  After the envelope's empty record it says MORE
 * until the input ends (qmail_env_eof) or an extension ends.
 */
enum qmail_env_status qmail_env_feed(struct qmail_env *, const void *,
	    size_t n, size_t *used);
/*
 * End of input: DONE when the envelope was whole and no extension was
 * begun, else ERROR (QMAIL_EXIT_READ).
 */
enum qmail_env_status qmail_env_eof(struct qmail_env *);

/* The extension's content, for a writer (see above). */
struct qmail_env_dsn {
	int		  origin;	/* QUEUE_ORIGIN_NONE or _SMTP */
	int		  ret;		/* enum dsn_ret */
	const char	 *envid;	/* NULL: none */
	/* per recipient (n of them, as the envelope's); NULL: none */
	const int	 *notify;
	const char *const *orcpt;	/* entries may be NULL */
	/* or one NOTIFY for every recipient (sendmail -N), when notify NULL */
	int		  notify_all;
};

/*
 * Appends the envelope for sender ("" = null sender) and n recipients to
 * out.  0, or -1 (errno EINVAL for a value with a control byte or too
 * long, E2BIG for more than QUEUE_RCPT_MAX, or from buf).
 */
int	qmail_env_encode(struct buf *out, const char *sender,
	    const char *const *rcpt, size_t n);
/*
 * The same followed by the extension with d's content (nothing when d
 * is NULL or empty): for sendmail's -N, -R and -V and smtpd's monitor.
 * 0, or -1 (errno EINVAL for a value dsn.h refuses).
 */
int	qmail_env_encode_dsn(struct buf *out, const char *sender,
	    const char *const *rcpt, size_t n, const struct qmail_env_dsn *d);
/*
 * Only the extension, for a writer that wrote the envelope itself
 * (smtpd's monitor); n is its number of recipients.
 */
int	qmail_env_dsn_append(struct buf *out, size_t n,
	    const struct qmail_env_dsn *d);

#endif
