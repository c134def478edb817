/*
 * gsync: group commit of directory fsyncs among cooperating processes of
 * one user: the queue writers of a resident smtpd (msg/ and env/), the
 * delivery workers of one recipient (a Maildir's new/).  A process that
 * needs "an fsync of this directory that started after my entry was made"
 * asks gsync_dir; while one process (the leader) runs that fsync, the
 * others that ask wait for it to end and are covered by the next one, so
 * N processes that commit at about the same time pay for one or two
 * fsyncs instead of N.  A lone asker is never slowed: with no one else
 * about to ask, its fsync starts at once.
 *
 * The window: a process says ahead (gsync_intend) that it will ask
 * soon, as a queue writer does once it has read a whole message and is
 * fsyncing its files.  A leader waits, at most window_ms, while others
 * that said so have not asked yet, so that one fsync covers them too; a
 * process that dies with an intention only costs leaders that wait
 * (dead processes are pruned when a leader looks; each intention's
 * process is looked at in /proc once, and again when a window ends with
 * it still there: one that dies after it was seen costs one leader its
 * window).
 *
 * The shared state is a small region (a memfd, GSYNC_SIZE octets) made
 * by a process that never maps it (the resident, lspawn) and handed to
 * the cooperating processes, which map it (gsync_attach).  Everyone who
 * maps it is trusted by the others exactly as much as they trust each
 * other's fsyncs: a process that wrote nonsense into it could make the
 * others skip their fsync.  So it is only ever shared among processes
 * of one user that could already destroy each other's files (the queue's
 * owner; one recipient), and never mapped by a more privileged process
 * or inherited by a less privileged one (the resident and lspawn keep
 * the descriptor, close-on-exec, and their other children never get it).
 *
 * Failure: when the fsync fails, every asker it covered gets -1 with its
 * errno (the last GSYNC_FAILS failures are remembered, and an asker that
 * looks after an older one was forgotten is told EIO, never success); a
 * leader killed while it runs the fsync is replaced by a waiter after at
 * most GSYNC_POLL_MS (each waiter looks at the leader in /proc once per
 * GSYNC_POLL_MS, not at every wake-up).
 */
#ifndef FACTEUR_GSYNC_H
#define FACTEUR_GSYNC_H

#define GSYNC_SLOTS	32	/* directories at once; more: plain fsync */
#define GSYNC_MEMBERS	64	/* intentions held at once per directory */
#define GSYNC_FAILS	8	/* failed fsyncs remembered per directory */
#define GSYNC_POLL_MS	50	/* a waiter checks the leader is alive */
#define GSYNC_WINDOW_MAX 1000	/* window_ms at most */

struct gsync;

/* The shared region: a sized memfd (close-on-exec), or -1 with errno. */
int		 gsync_create(void);
/* Maps the region of fd (which may then be closed); NULL with errno. */
struct gsync	*gsync_attach(int fd);
void		 gsync_detach(struct gsync *);
/*
 * This process will soon ask for an fsync of the directory dirfd (0, or
 * -1 with errno; a full table is not an error: no one waits for it).
 * gsync_dir consumes the intention; gsync_cancel drops it unused.
 */
int		 gsync_intend(struct gsync *, int dirfd);
void		 gsync_cancel(struct gsync *, int dirfd);
/*
 * Returns once an fsync of dirfd's directory that started after this
 * call was made has ended: 0 if it succeeded, -1 with its errno if not.
 * g may be NULL: then it is fsync(dirfd).
 */
int		 gsync_dir(struct gsync *, int dirfd, int window_ms);

#endif
