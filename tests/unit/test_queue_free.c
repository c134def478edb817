/*
 * Unit tests for lib/queue/queue_free.c against a temporary queue directory:
 * a finished file goes to free/ under a name no taker reads, and only
 * after the release is it emptied and takeable, keeping its inode; a
 * writer's spare comes from there; a file with another link, or one that is not
 * regular, is removed, not kept; a full pool removes; an empty pool gives
 * nothing and is not read again within the second; a missing file is
 * ENOENT as for unlink.  With a releaser, the names go down its pipe, one
 * line each, and a full or closed pipe removes the file; the releaser
 * notes nothing but a pending name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue_free.h"
#include "queue_spare.h"

#define ID	"0123456789ABCD"

static char		dir[64];
static int		dirfd_q = -1;
static struct queue	q_q;

/* Where name is in folder sub (a take's destination). */
static const struct queue_loc *
loc(enum queue_sub sub, const char *name)
{
	static struct queue_loc	 l;

	assert_int_equal(queue_path(&q_q, sub, name, &l), 0);
	return &l;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	static const char *const subs[] = { "msg", "env", "tmp", "free" };
	size_t	 i;

	(void)state;
	(void)strlcpy(dir, "/tmp/test_queue_free.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	if ((dirfd_q = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	queue_init(&q_q, dirfd_q);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (mkdirat(dirfd_q, subs[i], 0700) == -1)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)close(dirfd_q);
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_file(const char *path, const char *data)
{
	int	 fd;

	fd = openat(dirfd_q, path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

static size_t
count(const char *sub)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0;
	char		 path[128];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, sub);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

static void
test_put_then_take(void **state)
{
	struct queue_free_pool	 pool;
	struct queue_spares	 sp;
	struct stat		 before, st;
	int			 fd;

	(void)state;
	queue_free_init(&pool);
	make_file("msg/" ID, "the message\n");
	assert_int_equal(fstatat(dirfd_q, "msg/" ID, &before, 0), 0);
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG, ID, 'm', 1000),
	    0);
	assert_int_equal(fstatat(dirfd_q, "msg/" ID, &st, 0), -1);
	/* put: out of msg/, not yet takeable, not yet emptied */
	assert_int_equal(fstatat(dirfd_q, "free/" ID ".m~", &st, 0), 0);
	assert_int_equal(st.st_size, 12);
	queue_spares_init(&sp);
	assert_int_equal(queue_free_take(&q_q, &sp.free, loc(QUEUE_TMP, "x")),
	    -1);
	assert_int_equal(errno, ENOENT);
	sp.free.empty_at = 0;
	/* released after a second (or many): emptied and takeable */
	assert_false(queue_free_due(&pool, 1999));
	assert_true(queue_free_due(&pool, 2000));
	queue_free_release(&q_q, &pool, 0);
	assert_false(queue_free_due(&pool, 5000));
	assert_int_equal(fstatat(dirfd_q, "free/" ID ".m", &st, 0), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_ino, before.st_ino);

	/* a writer's spare is that inode; the usual checks pass */
	assert_int_equal(queue_spares_make(&q_q, &sp), 0);
	assert_int_equal(count("free"), 0);
	fd = queue_spare_take(&q_q, &sp, QUEUE_SPARE_MSG, loc(QUEUE_MSG, ID));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, before.st_ino);
	assert_int_equal(close(fd), 0);
	/* the other spare was created: the pool had only one */
	assert_true(sp.name[QUEUE_SPARE_ENV][0] != '\0');
	queue_spares_drop(&q_q, &sp);
	assert_int_equal(unlinkat(dirfd_q, "msg/" ID, 0), 0);
	assert_int_equal(count("tmp"), 0);
}

static void
test_put_refuses(void **state)
{
	struct queue_free_pool	 pool;

	(void)state;
	queue_free_init(&pool);
	/* no such file: as unlink */
	errno = 0;
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_ENV, ID, 'e', 0),
	    -1);
	assert_int_equal(errno, ENOENT);
	/* another link: removed, never emptied (the other name keeps it) */
	make_file("env/" ID, "data");
	assert_int_equal(linkat(dirfd_q, "env/" ID, dirfd_q, "tmp/keep", 0), 0);
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_ENV, ID, 'e', 0), 0);
	queue_free_release(&q_q, &pool, 0);
	assert_int_equal(count("free"), 0);
	assert_int_equal(count("env"), 0);
	{
		struct stat st;

		assert_int_equal(fstatat(dirfd_q, "tmp/keep", &st, 0), 0);
		assert_int_equal(st.st_size, 4);
	}
	assert_int_equal(unlinkat(dirfd_q, "tmp/keep", 0), 0);
	/* a symbolic link is removed, its target untouched */
	make_file("tmp/target", "x");
	assert_int_equal(symlinkat("../tmp/target", dirfd_q, "env/" ID), 0);
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_ENV, ID, 'e', 0), 0);
	queue_free_release(&q_q, &pool, 0);
	assert_int_equal(count("free"), 0);
	assert_int_equal(count("env"), 0);
	assert_int_equal(unlinkat(dirfd_q, "tmp/target", 0), 0);
}

static void
test_full_pool_removes(void **state)
{
	struct queue_free_pool	 pool;
	char			 name[64];
	int			 i;

	(void)state;
	for (i = 0; i < QUEUE_FREE_MAX; i++) {
		(void)snprintf(name, sizeof(name), "free/f%d", i);
		make_file(name, "");
	}
	queue_free_init(&pool);
	make_file("msg/" ID, "m");
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG, ID, 'm', 0), 0);
	assert_int_equal(pool.npending, 0);
	assert_int_equal(count("msg"), 0);
	assert_int_equal(count("free"), QUEUE_FREE_MAX);
	for (i = 0; i < QUEUE_FREE_MAX; i++) {
		(void)snprintf(name, sizeof(name), "free/f%d", i);
		assert_int_equal(unlinkat(dirfd_q, name, 0), 0);
	}
}

/* A few at a time: the fsync covers all put so far; the rest wait. */
static void
test_release_in_parts(void **state)
{
	struct queue_free_pool	 pool;
	struct stat		 st;

	(void)state;
	queue_free_init(&pool);
	make_file("msg/A0000000000001", "1");
	make_file("msg/A0000000000002", "2");
	make_file("env/A0000000000002", "e");
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG,
	    "A0000000000001", 'm', 0), 0);
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG,
	    "A0000000000002", 'm', 0), 0);
	assert_true(queue_free_due(&pool, 1000));
	queue_free_release(&q_q, &pool, 1);
	assert_int_equal(fstatat(dirfd_q, "free/A0000000000001.m", &st, 0), 0);
	assert_int_equal(fstatat(dirfd_q, "free/A0000000000002.m~", &st, 0),
	    0);
	/* one made durable and left: due at once, whatever the clock */
	assert_true(queue_free_due(&pool, 0));
	/* one put after the fsync waits for the next one */
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_ENV,
	    "A0000000000002", 'e', 0), 0);
	queue_free_release(&q_q, &pool, 1);
	assert_int_equal(fstatat(dirfd_q, "free/A0000000000002.m", &st, 0), 0);
	assert_int_equal(fstatat(dirfd_q, "free/A0000000000002.e~", &st, 0),
	    0);
	queue_free_release(&q_q, &pool, 0);
	assert_int_equal(fstatat(dirfd_q, "free/A0000000000002.e", &st, 0), 0);
	assert_int_equal(pool.npending, 0);
	queue_free_purge(&q_q);
}

/*
 * With QUEUE_FREE_PENDING files waiting for their release, the next one
 * is removed, not put: the release never runs inline, all at once.
 */
static void
test_pending_full_removes(void **state)
{
	struct queue_free_pool	*pool;
	char			 id[32], path[64];
	int			 i;

	(void)state;
	assert_non_null(pool = calloc(1, sizeof(*pool)));
	queue_free_init(pool);
	for (i = 0; i <= QUEUE_FREE_PENDING; i++) {
		(void)snprintf(id, sizeof(id), "A%013d", i);
		(void)snprintf(path, sizeof(path), "msg/%s", id);
		make_file(path, "m");
		assert_int_equal(queue_free_put(&q_q, pool, QUEUE_MSG, id, 'm',
		    0), 0);
	}
	assert_int_equal(pool->npending, QUEUE_FREE_PENDING);
	assert_int_equal(count("msg"), 0);
	assert_int_equal(count("free"), QUEUE_FREE_PENDING);
	/* released a batch at a time, as the caller asks */
	queue_free_release(&q_q, pool, 32);
	assert_int_equal(pool->npending, QUEUE_FREE_PENDING - 32);
	queue_free_purge(&q_q);
	free(pool);
}

/*
 * With a releaser (release_fd), a file put goes to free/ under its
 * pending name and its name down the pipe, one line; the releaser notes
 * it and releases it: emptied, takeable, the same inode.
 */
static void
test_put_to_releaser(void **state)
{
	struct queue_free_pool	 q_side, r_side;
	struct stat		 before, after;
	char			 line[64];
	int			 p[2];
	ssize_t			 n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	queue_free_init(&q_side);
	q_side.release_fd = p[1];
	make_file("msg/" ID, "a message");
	assert_int_equal(fstatat(dirfd_q, "msg/" ID, &before, 0), 0);
	assert_int_equal(queue_free_put(&q_q, &q_side, QUEUE_MSG, ID, 'm',
	    1000), 0);
	/* nothing waits in queued's own pool: the releaser has it */
	assert_int_equal(q_side.npending, 0);
	assert_false(queue_free_due(&q_side, 5000));
	n = read(p[0], line, sizeof(line) - 1);
	assert_int_equal(n, (ssize_t)strlen(ID ".m~\n"));
	line[n] = '\0';
	assert_string_equal(line, ID ".m~\n");
	assert_int_equal(count("free"), 1);

	queue_free_init(&r_side);
	line[n - 1] = '\0';
	assert_int_equal(queue_free_note(&r_side, line, 1000), 0);
	assert_false(queue_free_due(&r_side, 1999));
	assert_true(queue_free_due(&r_side, 2000));
	queue_free_release(&q_q, &r_side, 0);
	assert_int_equal(fstatat(dirfd_q, "free/" ID ".m", &after, 0), 0);
	assert_int_equal(after.st_size, 0);
	assert_true(after.st_ino == before.st_ino);
	assert_int_equal(r_side.npending, 0);
	queue_free_purge(&q_q);
	(void)close(p[0]);
	(void)close(p[1]);
}

/*
 * A releaser that lags (its pipe full) or is gone (the pipe closed): the
 * file is removed, never left in free/ with nobody to release it.
 */
static void
test_put_releaser_full_removes(void **state)
{
	struct queue_free_pool	 pool;
	char			 fill[4096];
	int			 p[2], fl;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fl = fcntl(p[1], F_GETFL);
	assert_int_equal(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	memset(fill, 'x', sizeof(fill));
	while (write(p[1], fill, sizeof(fill)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	queue_free_init(&pool);
	pool.release_fd = p[1];
	make_file("msg/" ID, "m");
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG, ID, 'm', 0),
	    0);
	assert_int_equal(count("msg"), 0);
	assert_int_equal(count("free"), 0);

	/* closed: EPIPE (SIGPIPE ignored, as queued ignores it) */
	(void)close(p[0]);
	assert_true(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	make_file("env/" ID, "e");
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_ENV, ID, 'e', 0),
	    0);
	assert_int_equal(count("env"), 0);
	assert_int_equal(count("free"), 0);
	assert_true(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	(void)close(p[1]);
}

/*
 * The releaser notes only "<queue ID>.<letter>~", and no more than
 * QUEUE_FREE_PENDING at once (ENOSPC: it reads no more until a release).
 */
static void
test_note_refuses(void **state)
{
	static const char *const bad[] = {
		"", "~", ID ".m", ID ".m~~", ID "m~", ID ".1~", ID ".mm~",
		"../" ID ".m~", "0123456789ABC/.m~", "0123456789abcd.m~",
		"0123456789ABCDE.m~", "012345678ABCD.m~", ID "/.m~",
	};
	struct queue_free_pool	*pool;
	char			 name[32];
	size_t			 i;

	(void)state;
	assert_non_null(pool = calloc(1, sizeof(*pool)));
	queue_free_init(pool);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(queue_free_note(pool, bad[i], 0), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(pool->npending, 0);
	for (i = 0; i < QUEUE_FREE_PENDING; i++) {
		(void)snprintf(name, sizeof(name), "A%013zu.m~", i);
		assert_int_equal(queue_free_note(pool, name, 0), 0);
	}
	assert_int_equal(queue_free_note(pool, ID ".e~", 0), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(pool->npending, QUEUE_FREE_PENDING);
	free(pool);
}

/*
 * Released names are handed out in free/.released, one record each, and
 * a taker takes those first, each once: a name read is not read by the
 * next taker, which falls back to free/'s listing.  A record that is no
 * released name (a pending one, garbage) is skipped, and a name taken
 * meanwhile through the listing is passed over.
 */
static void
test_handout(void **state)
{
	struct queue_free_pool	 pool;
	struct queue_free_cache	 a, b;
	char			 id2[] = "0123456789ABCE", rec[QUEUE_FREE_NAME_MAX];
	struct stat		 st;
	int			 wfd;

	(void)state;
	queue_free_init(&pool);
	assert_int_equal(queue_free_handout_open(&q_q, &pool), 0);
	assert_int_equal(fstatat(dirfd_q, "free/" QUEUE_FREE_HANDOUT, &st, 0),
	    0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* garbage and a pending name, written as another process could */
	wfd = pool.handout_fd;
	memset(rec, 0, sizeof(rec));
	(void)strlcpy(rec, ID ".m~", sizeof(rec));
	assert_int_equal(write(wfd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	memset(rec, 'x', sizeof(rec));
	assert_int_equal(write(wfd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	make_file("msg/" ID, "one");
	make_file("msg/0123456789ABCE", "two");
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG, ID, 'm', 0),
	    0);
	assert_int_equal(queue_free_put(&q_q, &pool, QUEUE_MSG, id2, 'm', 0),
	    0);
	queue_free_release(&q_q, &pool, 0);
	assert_int_equal(count("free"), 2);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* a takes the first released name through the FIFO, past the junk */
	assert_int_equal(queue_free_take(&q_q, &a, loc(QUEUE_TMP, "a")), 0);
	assert_int_equal(fstatat(dirfd_q, "free/" ID ".m", &st, 0), -1);
	assert_int_equal(a.n, 0);		/* free/ was not read */
	/* b reads free/ (nothing is left handed out to it: a read it) */
	b.handout_tried = time(NULL);		/* no FIFO for b */
	assert_int_equal(queue_free_take(&q_q, &b, loc(QUEUE_TMP, "b")), 0);
	assert_int_equal(count("free"), 0);
	/* a's next record names the file b took: passed over */
	assert_int_equal(queue_free_take(&q_q, &a, loc(QUEUE_TMP, "c")), -1);
	assert_int_equal(errno, ENOENT);
	queue_free_cache_close(&a);
	queue_free_cache_close(&b);
	(void)close(pool.handout_fd);
	assert_int_equal(unlinkat(dirfd_q, "tmp/a", 0), 0);
	assert_int_equal(unlinkat(dirfd_q, "tmp/b", 0), 0);
	assert_int_equal(unlinkat(dirfd_q, "free/" QUEUE_FREE_HANDOUT, 0), 0);
}

/* free/.released that is not a FIFO of ours is not used, either side. */
static void
test_handout_refused(void **state)
{
	struct queue_free_pool	 pool;
	struct queue_free_cache	 c;

	(void)state;
	make_file("free/" QUEUE_FREE_HANDOUT, "");
	queue_free_init(&pool);
	assert_int_equal(queue_free_handout_open(&q_q, &pool), -1);
	assert_int_equal(pool.handout_fd, -1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(queue_free_take(&q_q, &c, loc(QUEUE_TMP, "x")), -1);
	assert_int_equal(c.handout_open, 0);
	assert_int_equal(unlinkat(dirfd_q, "free/" QUEUE_FREE_HANDOUT, 0), 0);
}

/* Start-up: free/ emptied, whatever a crash left (pending or not). */
static void
test_purge(void **state)
{
	(void)state;
	make_file("free/a.m", "");
	make_file("free/b.e~", "leftover");
	queue_free_purge(&q_q);
	assert_int_equal(count("free"), 0);
}

static void
test_take_from_empty(void **state)
{
	struct queue_free_cache	 c;

	(void)state;
	memset(&c, 0, sizeof(c));
	errno = 0;
	assert_int_equal(queue_free_take(&q_q, &c, loc(QUEUE_TMP, "s1")), -1);
	assert_int_equal(errno, ENOENT);
	/* within the same second, free/ is not read again */
	make_file("free/x.m", "");
	if (c.empty_at == time(NULL)) {
		assert_int_equal(queue_free_take(&q_q, &c, loc(QUEUE_TMP, "s1")), -1);
		assert_int_equal(count("free"), 1);
	}
	c.empty_at = 0;
	assert_int_equal(queue_free_take(&q_q, &c, loc(QUEUE_TMP, "s1")), 0);
	assert_int_equal(count("free"), 0);
	/* never over an existing file */
	make_file("free/y.m", "");
	c.empty_at = 0;
	assert_int_equal(queue_free_take(&q_q, &c, loc(QUEUE_TMP, "s1")), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(count("free"), 1);
	assert_int_equal(unlinkat(dirfd_q, "tmp/s1", 0), 0);
	assert_int_equal(unlinkat(dirfd_q, "free/y.m", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_then_take),
		cmocka_unit_test(test_put_refuses),
		cmocka_unit_test(test_full_pool_removes),
		cmocka_unit_test(test_take_from_empty),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_release_in_parts),
		cmocka_unit_test(test_pending_full_removes),
		cmocka_unit_test(test_put_to_releaser),
		cmocka_unit_test(test_put_releaser_full_removes),
		cmocka_unit_test(test_note_refuses),
		cmocka_unit_test(test_handout),
		cmocka_unit_test(test_handout_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
