/*
 * queue_inject: putting one message into the queue, the work of
 * enqueue(8) as a function, so that a process that already runs (the
 * smtpd monitor's child) can queue a message without an exec.  It reads
 * the message from msgfd and a qmail-queue envelope (`F<sender>\0
 * T<rcpt>\0...\0`, lib/queue/qmail_env.h) from envfd, with every limit of
 * enqueue (message_size_limit, QUEUE_ADDR_MAX, QUEUE_RCPT_MAX, a total
 * read timeout) and the free-space reserve of the queue's file system
 * (queue_minfree_blocks, queue_minfree_inodes: checked before a file is
 * made, by the queue side, whoever asked), writes and commits in the
 * order of docs/queue.md (E1-E8:
 * msg/<id> O_EXCL and locked, written, fsync; tmp/<id> written, fsync,
 * close; fsync msg/; rename tmp/<id> env/<id>; fsync env/; unlock; one
 * byte into the trigger FIFO; the two folder fsyncs shared with other
 * writers when the caller gives a group commit, gsync), and returns enqueue's exit code
 * (QMAIL_EXIT_*: 0 queued, 11-40 permanent, others temporary).  Any
 * failure before the rename removes tmp/<id> and msg/<id>.  It logs what
 * enqueue logs, in the same words ("ID: from=<...>, size=N, nrcpt=N,
 * uid=N", "ID: refused: ...", "ID: failed: ..."), under the caller's log
 * name.
 *
 * How a caller other than enqueue uses it (the smtpd monitor, for one):
 *
 *   - Call it in a child made for the message (fork, no exec); the child
 *     _exit()s with the return value, and the parent reads that as it
 *     read enqueue's exit status.  Or call it in a long-lived process
 *     that does nothing else, one message after another (the resident
 *     smtpd's queue writers, smtpd/qwriter.c): a failure leaves
 *     nothing behind, but an input that never ends holds the process for
 *     the whole timeout, so such a process must not be one that others
 *     wait for.
 *   - Before calling, in the child: signal(SIGPIPE, SIG_IGN) and
 *     signal(SIGXFSZ, SIG_IGN) (a low RLIMIT_FSIZE must make write fail
 *     with EFBIG, not kill the child); umask(077); close every descriptor
 *     the child does not need (closefrom after moving msgfd and envfd);
 *     optionally log_init("enqueue", <the caller's to_stderr>) so that the
 *     lines read as enqueue's, and prctl(PR_SET_NAME, "enqueue") so that
 *     ps (and the tests that look for the enqueue process) name it so.
 *   - Identity: the files must belong to the owner of queue_dir: call
 *     queue_identity() (lib/queue/queue_owner.h) first, as enqueue does.
 *     A caller that is neither root nor the owner of queue_dir cannot
 *     write the queue and must exec the set-uid program_dir/enqueue
 *     instead.
 *   - The queue: pass queue = the open queue_dir (lib/queue/queue_path.h:
 *     queue_open, before or after dropping root).  Every file is reached
 *     through it.
 *   - uid: the uid to record as the injector (U record).  enqueue records
 *     its real uid, which for the smtpd monitor's old exec was
 *     smtpd_user's uid; pass that to keep the envelope the same.
 *   - timeout: seconds for reading both inputs (enqueue uses 3600).
 *
 * The function is not reentrant (it uses one static 64 KiB buffer).
 *
 * Trust: neither input: the message is stored byte for byte within
 * message_size_limit, the envelope parsed by qmail_env.c; the caller's
 * struct queue and identity (queue_owner.h).
 */
#ifndef FACTEUR_QUEUE_INJECT_H
#define FACTEUR_QUEUE_INJECT_H
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "gsync.h"
#include "queue_path.h"
#include "queue_spare.h"
#include "queueid.h"

struct queue_inject {
	/* in */
	const struct queue *queue;	/* the open queue_dir */
	const char	*wanted_id;	/* NULL, or an ID to use once if free */
	uid_t		 uid;		/* the injector, for the U record */
	int		 timeout;	/* seconds to read message + envelope */
	/* NULL, or files made ahead to rename into place (queue_spare.h) */
	struct queue_spares *spares;
	/*
	 * 1: the message may use the free-space reserve (queued's bounces,
	 * which let the queue drain); 0 (the default): refused with
	 * QMAIL_EXIT_NOSPACE while the queue's file system has less than
	 * queue_minfree_blocks percent of its blocks, or queue_minfree_inodes
	 * percent of its inodes, free.
	 */
	int		 reserve;
	/*
	 * How the message came (enum queue_origin, the envelope's P
	 * record): QUEUE_ORIGIN_LOCAL (the default, enqueue run by a local
	 * program), _SMTP (smtpd's queue writers) or _BOUNCE (queued's
	 * notices).  With trust_origin, a P record in the envelope
	 * extension (lib/queue/qmail_env.h) says smtp instead: enqueue sets
	 * it only for root and the queue's owner, so a local user cannot
	 * pass a message of its own for one that came by SMTP.  A local
	 * message is logged as Postfix's pickup logs one ("ID: uid=N
	 * from=<sender>", as facteur/pickup), which pflogsumm counts as
	 * received.
	 */
	int		 origin;
	int		 trust_origin;
	/*
	 * NULL, or the group commit shared with the other writers of the
	 * queue (lib/base/gsync.h): the fsyncs of msg/ and env/ (E5, E7)
	 * are then shared among the writers that commit at about the same
	 * time, a leader waiting at most window_ms for those that are
	 * already fsyncing their files (docs/queue.md, "Group commit").
	 */
	struct gsync	*gsync;
	int		 window_ms;
	/* out: id is "-" until one is taken; size and nrcpt once queued */
	char		 id[QUEUEID_LEN + 1];
	size_t		 size;
	size_t		 nrcpt;
};

/* Fills in the defaults: no queue, no wanted ID, getuid(), 3600 s. */
void	queue_inject_init(struct queue_inject *);
/*
 * Queues the message read from msgfd with the envelope read from envfd
 * (neither is closed).  message_size_limit comes from conf.  Returns a
 * QMAIL_EXIT_* code; 0 means committed and durable.
 */
int	queue_inject(const struct conf *, struct queue_inject *, int msgfd,
	    int envfd);

#endif
