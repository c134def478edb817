/*
 * queue_free: finished queue files kept for reuse, because on some
 * filesystems a file create costs more the more files were removed
 * lately (docs/architecture.md, "Finished queue files are reused, not
 * removed").  So queued, instead of removing a finished message's files, moves them to free/ (queue_free_put) and,
 * once their removal from msg/ and env/ is on disk, empties them and
 * makes them takeable (queue_free_release); the resident smtpd's queue
 * writers take their spares from there (queue_free_take) before they
 * create any.  A file in free/ is empty and never read: its name is no
 * queue ID.  The pool is bounded: counted every QUEUE_FREE_RECOUNT puts,
 * and while it holds QUEUE_FREE_MAX files or more, files are removed as
 * before.  See docs/queue.md (layout, Q7, Q9, Q10).
 *
 * The release runs in a process of its own when the pool has a
 * release_fd (queued's releaser, queue/queued_free.c): queue_free_put
 * then writes the name of each file it put, one line, into that pipe,
 * and the releaser notes them (queue_free_note) and releases them, so
 * that the fsyncs, truncates and renames of Q10 never hold up queued's
 * loop.  Without one (release_fd -1) the caller releases them itself.
 *
 * Released names are also handed out: the releaser writes each, one
 * record of QUEUE_FREE_NAME_MAX octets, into the FIFO free/.released
 * (QUEUE_FREE_HANDOUT), and a writer takes the next name from there
 * before it reads free/ itself.  A name read from a FIFO is read once:
 * concurrent writers no longer race for the names of one listing of
 * free/ (at c=50 they failed 30 renames per message doing so).  A full
 * FIFO only leaves the name to be found in free/.
 *
 * Trust: only the queue's owner writes free/ (queued puts, the writers
 * take); a file released is checked first (regular, one link, ours) and
 * emptied, so a taker never gets a file with another name or content.
 */
#ifndef FACTEUR_QUEUE_FREE_H
#define FACTEUR_QUEUE_FREE_H
#include <stddef.h>
#include <time.h>

#include "queue_path.h"

#define QUEUE_FREE_MAX		4096	/* files in free/ */
#define QUEUE_FREE_RECOUNT	512	/* puts between two counts of free/ */
#define QUEUE_FREE_NAME_MAX	32	/* "<queue ID>.<letter>" and its NUL */
#define QUEUE_FREE_CACHE	64	/* names a taker reads at a time */
#define QUEUE_FREE_PENDING	1024	/* files put, not yet released */
#define QUEUE_FREE_HANDOUT	".released"	/* the FIFO in free/ */
#define QUEUE_FREE_HANDOUT_TRY	8	/* records read at one take */

/* queued's side (and the releaser's, which notes what queued put). */
struct queue_free_pool {
	size_t	 since_count;	/* puts since the last count of free/ */
	int	 full;		/* free/ was full then */
	int	 release_fd;	/* the releaser's pipe, or -1: pending[] */
	int	 handout_fd;	/* free/.released for writing, or -1 */
	/* put since the last release: "<id>.<tag>~" in free/ */
	char	 pending[QUEUE_FREE_PENDING][QUEUE_FREE_NAME_MAX];
	size_t	 npending;
	size_t	 head;		/* pending[head..npending) are left */
	size_t	 durable;	/* pending[head..durable) may be released */
	long long first_ms;	/* when the oldest of them was put */
};

/* A taker's side (all zero to begin with): names not yet tried. */
struct queue_free_cache {
	char	 names[QUEUE_FREE_CACHE][QUEUE_FREE_NAME_MAX];
	size_t	 n;
	time_t	 empty_at;	/* free/ was found empty then */
	int	 handout_fd;	/* free/.released, when handout_open */
	int	 handout_open;	/* 1: open; 0: not yet tried or failed */
	time_t	 handout_tried;	/* the last failed open */
};

/* An empty pool: nothing pending, no releaser (release_fd -1). */
void	queue_free_init(struct queue_free_pool *);
/*
 * Instead of unlinking sub/<id>: moves the file to free/<id>.<tag>~
 * (tag, one letter, tells the two files of a message apart), where no
 * taker looks; or removes it when free/ is full, when QUEUE_FREE_PENDING
 * files already wait for their release, or when the move fails.  With a
 * release_fd, the name goes to the releaser, one line "<id>.<tag>~\n"
 * (one write, so never interleaved); when the pipe is full or closed,
 * the file is removed from free/ instead.  0, or -1 with errno (ENOENT:
 * there was no such file), as unlink.  now_ms: the caller's clock, for
 * queue_free_due.
 */
int	queue_free_put(const struct queue *, struct queue_free_pool *,
	    enum queue_sub sub, const char *id, char tag, long long now_ms);
/*
 * The releaser's side: name (as queue_free_put wrote it, without the
 * newline) was put in free/ by another process; it is released with the
 * others.  0, or -1 (EINVAL: not such a name; ENOSPC: QUEUE_FREE_PENDING
 * are waiting already; the caller reads no more until a release).
 */
int	queue_free_note(struct queue_free_pool *, const char *name,
	    long long now_ms);
/* 1 when files put should be released now (a second, or many). */
int	queue_free_due(const struct queue_free_pool *, long long now_ms);
/*
 * Releases at most max of the files put (0: all): first makes the
 * removal of all those put so far from msg/ and env/ durable (one fsync
 * of each directory), so that no name a crash could bring back there
 * ever points to a file that holds another message; then empties each
 * and renames it to its takeable name.  A file that is not a plain one
 * of ours (another link, not regular) is removed instead.  A caller
 * with other work releases a few at a time.
 */
void	queue_free_release(const struct queue *, struct queue_free_pool *,
	    size_t max);
/*
 * The releaser's side: opens free/.released for writing (made when
 * missing; it must be a FIFO of the caller's own with one link) into
 * p->handout_fd, non-blocking.  0, or -1 (logged): no names handed out.
 */
int	queue_free_handout_open(const struct queue *, struct queue_free_pool *);
/* A taker that ends: closes what queue_free_take opened. */
void	queue_free_cache_close(struct queue_free_cache *);
/* At start-up: removes everything in free/ (what a crash left). */
void	queue_free_purge(const struct queue *);
/*
 * Moves a file of free/ to dst (never over an existing file): the next
 * name handed out in free/.released, else one read from free/.  0, or
 * -1 when free/ had none to give (errno ENOENT) or dst exists (EEXIST).
 * The caller checks the file as it checks any spare (queue_spare_take).
 */
int	queue_free_take(const struct queue *, struct queue_free_cache *,
	    const struct queue_loc *dst);

#endif
