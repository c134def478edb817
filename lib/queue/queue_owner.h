/*
 * queue_owner: the one way a process takes the identity of the queue's
 * owner before it writes a queue file (enqueue, the smtpd monitor's
 * per-message child, a resident smtpd's queue writers).  The files of
 * the queue belong to the owner of queue_dir (queue_user, facteur-queue,
 * on an installed host), so a writer becomes that user: as root it drops
 * to the owner's uid and primary group for good (lib/base/priv.c checks
 * that root cannot come back); a root-owned queue_dir (tests) keeps root.
 * A process that is not root must already be the owner.
 *
 * Trust: the owner is read from the directory the caller opened
 * (struct queue), never from a caller's word; the passwd database is read
 * only for the owner's primary group, once, by queue_owner_lookup in a
 * root parent where it can be (so that forked writers need not parse it).
 */
#ifndef FACTEUR_QUEUE_OWNER_H
#define FACTEUR_QUEUE_OWNER_H
#include <sys/types.h>

#include "queue_path.h"

struct queue_owner {
	int	 known;		/* uid and gid were looked up */
	uid_t	 uid;
	gid_t	 gid;		/* the owner's primary group */
};

/*
 * The owner of queue_dir and its primary group (the directory's group
 * when the uid has no passwd entry).  0, or -1 when queue_dir cannot be
 * read now (then known stays 0 and queue_identity looks again).
 */
int	queue_owner_lookup(const char *queue_dir, struct queue_owner *);
/*
 * Becomes the owner of q's queue_dir (see above).  known: the result of
 * an earlier queue_owner_lookup, used when it names the same uid, or
 * NULL.  queue_user: the name the owner should have (a warning when it
 * differs), or NULL.  0; or -1 with errno EPERM, not logged, when the
 * process is neither root nor the owner (the caller may have another
 * way: the set-uid enqueue); or -1, logged, when the queue cannot be
 * read or the drop failed (half way, maybe: the process must exit).
 */
int	queue_identity(const struct queue *, const struct queue_owner *known,
	    const char *queue_user);

#endif
