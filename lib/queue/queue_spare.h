/*
 * queue_spare: empty queue files made ahead of time.  A long-lived queue
 * writer (a resident smtpd's, smtpd/qwriter.c) makes, while it
 * waits for its next message, the two files that message will need
 * (tmp/spare.<pid>.<n>, empty, 0600), and queue_inject() renames them
 * into place (msg/<id>, tmp/<id>) instead of creating files while a
 * client waits for its 250; the reason is in docs/architecture.md
 * ("Queue writers make the files of their next message ahead").  A spare
 * is taken from the files queued gave back (free/, queue_free.h) before
 * one is created.  See docs/queue.md (E1, E4).
 *
 * A spare is an empty file whose name is no queue ID: queued's scans
 * ignore it, and its full scan removes spares older than an hour (a
 * writer that died leaves its two behind).  A spare that has gone when
 * it is wanted is no error: the file is then created as usual.  On a
 * filesystem that refuses renameat2(RENAME_NOREPLACE) the spare is
 * removed and the writer makes no more.
 *
 * Trust: the writer trusts only files it finds as it made them: a spare
 * renamed into place must still be an empty regular file of its own with
 * one link, or it is removed and the file created instead.
 */
#ifndef FACTEUR_QUEUE_SPARE_H
#define FACTEUR_QUEUE_SPARE_H

#include "queue_free.h"
#include "queue_path.h"

#define QUEUE_SPARE_NAME_MAX	48	/* "spare.<pid>.<n>" and its NUL */
#define QUEUE_SPARE_PREFIX	"spare."
#define QUEUE_SPARE_MAX_AGE	3600	/* seconds before queued removes one */

enum queue_spare_kind { QUEUE_SPARE_MSG, QUEUE_SPARE_ENV };

struct queue_spares {
	char		 name[2][QUEUE_SPARE_NAME_MAX];	/* in tmp/; "" none */
	unsigned long	 n;				/* names made so far */
	int		 off;		/* renameat2 refused: no more spares */
	struct queue_free_cache free;	/* files queued gave back */
};

void	queue_spares_init(struct queue_spares *);
/* Makes the missing spares in tmp/; 0, or -1 (errno set). */
int	queue_spares_make(const struct queue *, struct queue_spares *);
/* Removes the spares not taken (a writer that ends). */
void	queue_spares_drop(const struct queue *, struct queue_spares *);
/*
 * Renames the spare of that kind to dst, never over an existing file,
 * and opens it for writing.  The descriptor; or -1 with errno EEXIST when
 * dst exists (the spare is kept), or any other errno when there is no
 * usable spare (it is gone or removed; the caller creates dst itself).
 */
int	queue_spare_take(const struct queue *, struct queue_spares *,
	    enum queue_spare_kind, const struct queue_loc *dst);

#endif
