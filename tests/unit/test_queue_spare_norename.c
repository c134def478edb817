/*
 * Unit tests for lib/queue/queue_spare.c on a filesystem that refuses
 * renameat2(RENAME_NOREPLACE) with EINVAL, as some FUSE filesystems do
 * (the link wraps renameat2: tests/unit/sources.mk).  A queue writer's
 * spares must not pile up in tmp/: the spare that could not be renamed is
 * removed, the writer makes no more, and every message is still queued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_inject.h"
#include "queue_path.h"
#include "queue_spare.h"

int	__real_renameat2(int, const char *, int, const char *, unsigned int);
int	__wrap_renameat2(int, const char *, int, const char *, unsigned int);

static int	refuse = 1;

int
__wrap_renameat2(int a, const char *from, int b, const char *to,
    unsigned int flags)
{
	if (refuse && (flags & RENAME_NOREPLACE)) {
		errno = EINVAL;
		return -1;
	}
	return __real_renameat2(a, from, b, to, flags);
}

static char	dir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
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

static int
input_fd(const char *data, size_t len)
{
	int	 fd = memfd_create("input", 0);

	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "conf: %s\n", msg);
}

static void
test_spares_do_not_pile_up(void **state)
{
	static const char env[] = "Fa@example.org\0Tb@example.org\0";
	struct queue		 q;
	struct queue_spares	 sp;
	struct queue_inject	 qi;
	struct conf		*conf;
	int			 i, mfd, efd;

	(void)state;
	(void)strlcpy(dir, "/tmp/test_queue_spare.XXXXXX", sizeof(dir));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(queue_layout_create(dir, NULL), 0);
	assert_int_equal(queue_open(&q, dir), 0);
	assert_non_null(conf = conf_load_buf("", 0, "test", conf_err, NULL));
	queue_spares_init(&sp);
	for (i = 0; i < 20; i++) {
		(void)queue_spares_make(&q, &sp);
		mfd = input_fd("Subject: x\n\nbody\n", 17);
		efd = input_fd(env, sizeof(env));
		queue_inject_init(&qi);
		qi.queue = &q;
		qi.spares = &sp;
		assert_int_equal(queue_inject(conf, &qi, mfd, efd),
		    QMAIL_EXIT_OK);
		(void)close(mfd);
		(void)close(efd);
		/* at most the spares of the next message, never more */
		assert_true(count("tmp") <= 2);
	}
	assert_int_equal(count("msg"), 20);
	assert_int_equal(count("env"), 20);
	assert_true(sp.off);
	assert_int_equal(count("tmp"), 0);
	queue_spares_drop(&q, &sp);
	conf_free(conf);
	queue_close(&q);
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spares_do_not_pile_up),
	};

	log_init("test_queue_spare_norename", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
