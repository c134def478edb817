/*
 * queue_spare: empty queue files made ahead of time.  Creating a file
 * costs a long-lived queue writer (smtpd's, smtpd/smtpd_qwriter.c) most
 * of its time on some filesystems: ext4 without a journal scans its
 * inode table past every inode freed in the last minutes before it picks
 * one.  So, while it waits for its next message, a writer makes the two
 * files that message will need (tmp/spare.<pid>.<n>, empty, 0600), and
 * queue_inject() renames them into place (msg/<id>, tmp/<id>) instead of
 * creating files while a client waits for its 250.  The work is the
 * same; it is done between messages.  A spare is taken from the files
 * queued gave back (free/, lib/queue/queue_free.h) before one is created.  See
 * docs/queue.md (E1, E4).
 *
 * A spare is an empty file whose name is no queue ID: queued's scans
 * ignore it, and its full scan removes spares older than an hour (a
 * writer that died leaves its two behind).  A spare that has gone when
 * it is wanted is no error: the file is then created as usual.
 */
#ifndef FACTEUR_QUEUE_SPARE_H
#define FACTEUR_QUEUE_SPARE_H

#include "queue_free.h"

#define QUEUE_SPARE_NAME_MAX	48	/* "spare.<pid>.<n>" and its NUL */
#define QUEUE_SPARE_PREFIX	"spare."
#define QUEUE_SPARE_MAX_AGE	3600	/* seconds before queued removes one */

struct queue_spares {
	char		 msg[QUEUE_SPARE_NAME_MAX];	/* in tmp/; "" when none */
	char		 env[QUEUE_SPARE_NAME_MAX];
	unsigned long	 n;				/* names made so far */
	struct queue_free_cache free;	/* files queued gave back */
};

void	queue_spares_init(struct queue_spares *);
/* Makes the missing spares in dirfd's tmp/; 0, or -1 (errno set). */
int	queue_spares_make(int dirfd, struct queue_spares *);
/* Removes the spares not taken (a writer that ends). */
void	queue_spares_drop(int dirfd, struct queue_spares *);
/*
 * Renames the spare `name` (in tmp/; emptied when taken or found gone)
 * to dst, relative to dirfd, never over an existing file, and opens it
 * for writing.  The descriptor; or -1 with errno EEXIST when dst exists
 * (the spare is kept), or any other errno when there is no usable spare
 * (the caller then creates dst itself).
 */
int	queue_spare_take(int dirfd, char *name, const char *dst);

#endif
