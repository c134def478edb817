/*
 * qmail_env: the qmail-queue injection protocol that enqueue speaks, so
 * that qmail's filters and tools can exec it: the message on fd 0, then the
 * envelope on fd 1 as `F<sender>\0T<rcpt>\0T<rcpt>\0\0` (an empty record
 * ends it), and an exit code that says what happened.
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

struct qmail_env {
	struct buf	  rec;		/* record being read, tag included */
	char		 *sender;	/* "" for the null sender */
	char		**rcpt;
	size_t		  nrcpt;
	size_t		  rcptcap;
	enum qmail_env_status status;
	int		  code;		/* QMAIL_EXIT_* once status is ERROR */
	const char	 *why;		/* static English reason */
};

void	qmail_env_init(struct qmail_env *);
void	qmail_env_free(struct qmail_env *);
/*
 * Feeds n bytes.  *used gets the bytes taken: all of them with
 * QMAIL_ENV_MORE, up to and including the final NUL with QMAIL_ENV_DONE.
 */
enum qmail_env_status qmail_env_feed(struct qmail_env *, const void *,
	    size_t n, size_t *used);
/* End of input: ERROR (QMAIL_EXIT_READ) unless the envelope was whole. */
enum qmail_env_status qmail_env_eof(struct qmail_env *);

/*
 * Appends the envelope for sender ("" = null sender) and n recipients to
 * out.  0, or -1 (errno EINVAL for a value with a control byte or too
 * long, E2BIG for more than QUEUE_RCPT_MAX, or from buf).
 */
int	qmail_env_encode(struct buf *out, const char *sender,
	    const char *const *rcpt, size_t n);

#endif
