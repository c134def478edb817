/*
 * gsync: group commit of directory fsyncs (see gsync.h).  One mutex,
 * process-shared and robust, in a memfd, so that a process killed while
 * it holds it (a few instructions at a time, never across an fsync) does
 * not stop the others; waiting is a futex per directory on a sequence
 * number that every change of it bumps, not a condition variable:
 * glibc's condition variables keep counts of their waiters, and one
 * killed while it waits would leave the next broadcast waiting for it
 * forever.  (The count of waiters kept here only spares the wake-up call
 * when it is 0; one killed while it waits costs a call for nobody.)
 *
 * Per directory (slot): tickets.  An asker takes ticket t = ++asked; the
 * leader, when it starts an fsync, takes target = asked, and when the
 * fsync ends sets done = target: every ticket up to target was taken
 * before that fsync started, so its entry is covered.
 *
 * Trust: see gsync.h; the region is read as the cooperating processes
 * wrote it, every index checked against its bounds.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/futex.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gsync.h"

#define GSYNC_MAGIC	0x67737933u	/* "gsy3" */

struct gsync_fail {
	uint64_t	 lo, hi;	/* tickets (lo, hi] */
	int		 err;
};

struct gsync_slot {
	int		 used;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 asked;		/* tickets handed out */
	uint64_t	 done;		/* covered up to here */
	pid_t		 leader;	/* running or about to run an fsync; 0 */
	int		 nintend;
	pid_t		 intend[GSYNC_MEMBERS];	/* one entry per intention */
	uint8_t		 seen[GSYNC_MEMBERS];	/* found alive in /proc once */
	unsigned	 nfail;
	struct gsync_fail fail[GSYNC_FAILS];
	uint64_t	 forgot;	/* tickets up to here may have failed */
	uint32_t	 seq;		/* bumped at every change; the futex */
	int		 waiters;	/* in gsync_wait (a dead one: a wake
					   made for nobody, no more) */
};

struct gsync {
	uint32_t	 magic;
	pthread_mutex_t	 lock;
	struct gsync_slot slot[GSYNC_SLOTS];
};

int
gsync_create(void)
{
	struct gsync		*g;
	pthread_mutexattr_t	 ma;
	int			 fd, saved;

	if ((fd = memfd_create("gsync", MFD_CLOEXEC)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)sizeof(*g)) == -1)
		goto fail;
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g == MAP_FAILED)
		goto fail;
	memset(g, 0, sizeof(*g));
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&g->lock, &ma) != 0) {
		(void)munmap(g, sizeof(*g));
		errno = ENOMEM;
		goto fail;
	}
	g->magic = GSYNC_MAGIC;
	/* the maker never keeps it mapped: only the cooperating processes */
	(void)munmap(g, sizeof(*g));
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

struct gsync *
gsync_attach(int fd)
{
	struct gsync	*g;
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size != (off_t)sizeof(*g)) {
		errno = EINVAL;
		return NULL;
	}
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g == MAP_FAILED)
		return NULL;
	if (g->magic != GSYNC_MAGIC) {
		(void)munmap(g, sizeof(*g));
		errno = EINVAL;
		return NULL;
	}
	return g;
}

void
gsync_detach(struct gsync *g)
{
	if (g != NULL)
		(void)munmap(g, sizeof(*g));
}

/* Takes the lock; a holder that died leaves it to us, consistent. */
static void
gsync_lock(struct gsync *g)
{
	if (pthread_mutex_lock(&g->lock) == EOWNERDEAD)
		(void)pthread_mutex_consistent(&g->lock);
}

static void
gsync_unlock(struct gsync *g)
{
	(void)pthread_mutex_unlock(&g->lock);
}

/*
 * Waits, the lock released meanwhile, until the next change of slot s or
 * abs (CLOCK_MONOTONIC); holds the lock again when it returns.  Each
 * directory has its futex: a change of one wakes only its own waiters.
 */
static void
gsync_wait(struct gsync *g, struct gsync_slot *s, const struct timespec *abs)
{
	uint32_t	 seen = __atomic_load_n(&s->seq, __ATOMIC_SEQ_CST);

	s->waiters++;
	gsync_unlock(g);
	/* returns at once if seq moved since: no change is missed */
	(void)syscall(SYS_futex, &s->seq, FUTEX_WAIT_BITSET, seen, abs, NULL,
	    FUTEX_BITSET_MATCH_ANY);
	gsync_lock(g);
	if (s->waiters > 0)
		s->waiters--;
}

/*
 * Wakes every waiter of slot s (called with the lock held): something
 * changed.  No system call when nobody waits.
 */
static void
gsync_wake(struct gsync_slot *s)
{
	(void)__atomic_add_fetch(&s->seq, 1, __ATOMIC_SEQ_CST);
	if (s->waiters > 0)
		(void)syscall(SYS_futex, &s->seq, FUTEX_WAKE, INT32_MAX, NULL,
		    NULL, 0);
}

static void
gsync_after(struct timespec *ts, int ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
gsync_passed(const struct timespec *ts)
{
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	    (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/*
 * 1 if pid is a live process: not gone, and not a zombie (a leader
 * killed in its fsync is one until its parent reaps it).
 */
static int
gsync_alive(pid_t pid)
{
	char	 path[64], buf[128], *p;
	ssize_t	 n;
	int	 fd;

	if (pid <= 0)
		return 0;
	/* /proc, not kill(pid, 0): a sandboxed delivery worker may not kill */
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 1;
	return p[2] != 'Z' && p[2] != 'X';
}

/* The slot of dirfd's directory, made if new; NULL when none is free. */
static struct gsync_slot *
gsync_slot(struct gsync *g, int dirfd, int make)
{
	struct stat	 st;
	int		 i, free_at = -1;

	if (fstat(dirfd, &st) == -1)
		return NULL;
	for (i = 0; i < GSYNC_SLOTS; i++) {
		if (g->slot[i].used && g->slot[i].dev == st.st_dev &&
		    g->slot[i].ino == st.st_ino)
			return &g->slot[i];
		if (!g->slot[i].used && free_at == -1)
			free_at = i;
	}
	if (!make)
		return NULL;
	/* none free: one that nobody uses now (a Maildir not written lately) */
	for (i = 0; free_at == -1 && i < GSYNC_SLOTS; i++)
		if (g->slot[i].leader == 0 && g->slot[i].nintend == 0 &&
		    g->slot[i].done == g->slot[i].asked)
			free_at = i;
	if (free_at == -1)
		return NULL;
	memset(&g->slot[free_at], 0, sizeof(g->slot[free_at]));
	g->slot[free_at].used = 1;
	g->slot[free_at].dev = st.st_dev;
	g->slot[free_at].ino = st.st_ino;
	return &g->slot[free_at];
}

/* Drops one intention of pid; 1 if there was one. */
static int
gsync_unintend(struct gsync_slot *s, pid_t pid)
{
	int	 i;

	if (s->nintend < 0 || s->nintend > GSYNC_MEMBERS)
		s->nintend = 0;
	for (i = 0; i < s->nintend; i++)
		if (s->intend[i] == pid) {
			--s->nintend;
			s->intend[i] = s->intend[s->nintend];
			s->seen[i] = s->seen[s->nintend];
			return 1;
		}
	return 0;
}

/* Intentions held, whether their processes live or not. */
static int
gsync_intentions(struct gsync_slot *s)
{
	if (s->nintend < 0 || s->nintend > GSYNC_MEMBERS)
		s->nintend = 0;
	return s->nintend;
}

/*
 * Intentions of processes still alive; the dead ones are dropped.  Each
 * intention's process is looked at in /proc once: an intention lasts
 * milliseconds, and reading /proc at every wake-up of a leader, under
 * the lock, cost more than the fsyncs it saved.  One that dies after it
 * was seen costs one leader its window: a window that ends with
 * intentions left looks at them all again.
 */
static int
gsync_pending(struct gsync_slot *s)
{
	int	 i;

	for (i = 0; i < gsync_intentions(s); )
		if (s->seen[i] || gsync_alive(s->intend[i]))
			s->seen[i++] = 1;
		else {
			--s->nintend;
			s->intend[i] = s->intend[s->nintend];
			s->seen[i] = s->seen[s->nintend];
		}
	return s->nintend;
}

int
gsync_intend(struct gsync *g, int dirfd)
{
	struct gsync_slot	*s;

	if (g == NULL)
		return 0;
	gsync_lock(g);
	if ((s = gsync_slot(g, dirfd, 1)) != NULL && s->nintend >= 0 &&
	    s->nintend < GSYNC_MEMBERS) {
		s->seen[s->nintend] = 0;
		s->intend[s->nintend++] = getpid();
	}
	gsync_unlock(g);
	return 0;
}

void
gsync_cancel(struct gsync *g, int dirfd)
{
	struct gsync_slot	*s;

	if (g == NULL)
		return;
	gsync_lock(g);
	if ((s = gsync_slot(g, dirfd, 0)) != NULL && gsync_unintend(s, getpid()))
		gsync_wake(s);
	gsync_unlock(g);
}

/*
 * The errno of a failed fsync that covered ticket t, or 0.  A ticket at
 * or below a forgotten failure's end (more than GSYNC_FAILS failures came
 * since) counts as failed: an asker never hears of success it may not
 * have had.
 */
static int
gsync_failed(const struct gsync_slot *s, uint64_t t)
{
	unsigned	 i, n = s->nfail < GSYNC_FAILS ? s->nfail : GSYNC_FAILS;

	for (i = 0; i < n; i++)
		if (t > s->fail[i].lo && t <= s->fail[i].hi)
			return s->fail[i].err != 0 ? s->fail[i].err : EIO;
	return t <= s->forgot ? EIO : 0;
}

/* As leader: waits for those about to ask, fsyncs, records the result. */
static void
gsync_lead(struct gsync *g, struct gsync_slot *s, int dirfd, int window_ms)
{
	struct timespec	 until;
	uint64_t	 from, target;
	int		 r, e;

	s->leader = getpid();
	if (window_ms > 0) {
		gsync_after(&until, window_ms);
		while (gsync_pending(s) > 0 && !gsync_passed(&until))
			gsync_wait(g, s, &until);
		/* waited in vain: those seen before are looked at again */
		if (gsync_intentions(s) > 0) {
			memset(s->seen, 0, sizeof(s->seen));
			(void)gsync_pending(s);
		}
	}
	from = s->done;
	target = s->asked;
	gsync_unlock(g);
	r = fsync(dirfd);
	e = errno;
	gsync_lock(g);
	if (r == -1) {
		if (s->nfail >= GSYNC_FAILS &&
		    s->fail[s->nfail % GSYNC_FAILS].hi > s->forgot)
			s->forgot = s->fail[s->nfail % GSYNC_FAILS].hi;
		s->fail[s->nfail % GSYNC_FAILS].lo = from;
		s->fail[s->nfail % GSYNC_FAILS].hi = target;
		s->fail[s->nfail % GSYNC_FAILS].err = e;
		s->nfail++;
	}
	if (target > s->done)
		s->done = target;
	s->leader = 0;
	gsync_wake(s);
}

int
gsync_dir(struct gsync *g, int dirfd, int window_ms)
{
	struct gsync_slot	*s;
	struct timespec		 check_at;
	uint64_t		 t;
	int			 e;

	if (g == NULL)
		return fsync(dirfd);
	if (window_ms < 0)
		window_ms = 0;
	if (window_ms > GSYNC_WINDOW_MAX)
		window_ms = GSYNC_WINDOW_MAX;
	gsync_lock(g);
	if ((s = gsync_slot(g, dirfd, 1)) == NULL) {
		gsync_unlock(g);
		return fsync(dirfd);
	}
	if (gsync_unintend(s, getpid()))
		/* a leader waiting for us stops waiting */
		gsync_wake(s);
	t = ++s->asked;
	/* the leader is looked at in /proc every GSYNC_POLL_MS, not at
	 * every wake-up */
	gsync_after(&check_at, GSYNC_POLL_MS);
	for (;;) {
		if (s->done >= t) {
			e = gsync_failed(s, t);
			gsync_unlock(g);
			if (e != 0) {
				errno = e;
				return -1;
			}
			return 0;
		}
		if (s->leader != 0 && gsync_passed(&check_at)) {
			if (!gsync_alive(s->leader))
				s->leader = 0;	/* killed in its fsync */
			gsync_after(&check_at, GSYNC_POLL_MS);
		}
		if (s->leader == 0) {
			gsync_lead(g, s, dirfd, window_ms);
			continue;
		}
		gsync_wait(g, s, &check_at);
	}
}
