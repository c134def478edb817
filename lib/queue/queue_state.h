/*
 * queue_state: queued's per-recipient state of one message
 * (queue/state/<id>), written atomically (lib/base/atomic.h) only when a
 * message is not finished in one pass, and read back at start-up so a
 * restart honours what was delivered and the next-try times.
 *
 * NUL-terminated records, each a one-letter tag and a value, in this
 * order:
 *
 *   V1          format version
 *   I<id>       queue ID (must match the file name)
 *   H<time>     optional: held since (facteurctl queue hold), seconds
 *   Y<time>     optional: when the delay warning went to the sender
 *   then per delivery job (a recipient after alias expansion), exactly:
 *   R<addr>     final recipient (as in Delivered-To)
 *   O<addr>     original envelope recipient it came from
 *   L<user>     local user name; empty for a non-local recipient;
 *               ":NAME" for the |commands and /files of alias NAME
 *               (no user name holds ':'; lspawn finds them again)
 *   X<ext>      address extension; empty for none; for an alias job,
 *               the :include: file that holds them ("" for the entry)
 *   S<c>        P pending, D delivered, F failed (final, bounce sent or
 *               not owed), B failed but the bounce is still owed,
 *               S delivered and a success notice (RFC 3464 Action:
 *               delivered) still owed, R relayed to a peer without DSN
 *               and a notice (Action: relayed) still owed
 *   N<n>        delivery attempts so far, decimal
 *   W<time>     next try, seconds since the epoch, decimal
 *   M<text>     last diagnostic, one printable line, may be empty
 *   E           end; a file without it is corrupt
 *
 * H, Y, S and R came with issue 14; a file without them reads as
 * before.  No value holds a control byte (below 0x20, or 0x7f).  Limits: at most
 * QUEUE_JOBS_MAX jobs, addresses QUEUE_ADDR_MAX octets, user names
 * USER_NAME_MAX, diagnostics QUEUE_REASON_MAX.
 *
 * Trust: see queue_state.c.
 */
#ifndef FACTEUR_QUEUE_STATE_H
#define FACTEUR_QUEUE_STATE_H
#include <stddef.h>
#include "buf.h"
#include "queueid.h"

#define QUEUE_JOBS_MAX		20000	/* jobs of one message */
#define QUEUE_REASON_MAX	512	/* octets of one diagnostic */
#define QUEUE_STATE_MAX		(64UL * 1024 * 1024)	/* file size */

enum queue_job_status {
	QJ_PENDING = 'P',
	QJ_DELIVERED = 'D',
	QJ_FAILED = 'F',
	QJ_BOUNCE = 'B',
	QJ_NOTICE = 'S',	/* delivered; success notice owed */
	QJ_RELAYED = 'R'	/* relayed; "relayed" notice owed */
};
/* 1 for a status queue_state knows. */
int	queue_job_status_ok(int status);

struct queue_job {
	char		*rcpt;
	char		*orig;
	char		*user;		/* "" when not local */
	char		*ext;
	char		*reason;
	int		 status;	/* enum queue_job_status */
	unsigned	 attempts;
	long long	 next_try;
};

struct queue_state {
	char		 id[QUEUEID_LEN + 1];
	long long	 held;		/* 0: not held; else since when */
	long long	 warned;	/* 0: no delay warning sent yet */
	struct queue_job *job;
	size_t		 njob;
	size_t		 cap;
};

void	queue_state_init(struct queue_state *, const char *id);
void	queue_state_free(struct queue_state *);
/*
 * Appends a pending job (strings are copied; user/ext may be NULL for "").
 * Returns it, or NULL (errno E2BIG past QUEUE_JOBS_MAX, a value not fit
 * for a record EINVAL, or ENOMEM).
 */
struct queue_job *queue_state_add(struct queue_state *, const char *rcpt,
	    const char *orig, const char *user, const char *ext);
/* Replaces a job's reason with a copy of text (cut at QUEUE_REASON_MAX,
 * control bytes turned into '?').  0 or -1 (ENOMEM). */
int	queue_job_set_reason(struct queue_job *, const char *text);
int	queue_state_encode(struct buf *, const struct queue_state *);
/* 0, or -1 with *why; on success free with queue_state_free. */
int	queue_state_decode(const char *, size_t, struct queue_state *,
	    const char **why);

#endif
