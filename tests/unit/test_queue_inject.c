/*
 * Unit tests for lib/queue/queue_inject.c against a temporary queue directory:
 * a good message (files, modes, the envelope record by record, the
 * trigger byte), the caller's wanted ID, envelope errors and their exit
 * codes, an over-size message and a read timeout, each failure leaving
 * nothing behind in msg/, tmp/ or env/.
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"
#include "queue_inject.h"
#include "queue_spare.h"
#include "queueid.h"

struct fixture {
	char		 dir[64];
	int		 dirfd;
	struct queue	 queue;
	struct conf	*conf;
};

static void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "conf: %s\n", msg);
}

static int
setup(void **state)
{
	static const char *const sub[] = { "msg", "tmp", "env", "state" };
	static const char text[] = "message_size_limit = 2k\n";
	struct fixture	*f;
	size_t		 i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)strlcpy(f->dir, "/tmp/test_queue_inject.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL ||
	    (f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	queue_init(&f->queue, f->dirfd);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (mkdirat(f->dirfd, sub[i], 0700) == -1)
			return -1;
	if ((f->conf = conf_load_buf(text, strlen(text), "t.conf", conf_err,
	    NULL)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 r;

	(void)close(f->dirfd);
	conf_free(f->conf);
	r = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

/* A readable descriptor holding n bytes of p, at offset 0. */
static int
input_fd(const void *p, size_t n)
{
	int	 fd;

	assert_true((fd = memfd_create("input", MFD_CLOEXEC)) != -1);
	if (n > 0)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int
count_entries(const struct fixture *f, const char *sub)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, fd;

	assert_true((fd = openat(f->dirfd, sub, O_RDONLY | O_DIRECTORY)) != -1);
	assert_non_null(d = fdopendir(fd));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
assert_queue_empty(const struct fixture *f)
{
	assert_int_equal(count_entries(f, "msg"), 0);
	assert_int_equal(count_entries(f, "tmp"), 0);
	assert_int_equal(count_entries(f, "env"), 0);
}

/* Runs queue_inject on a message and an envelope given as bytes. */
static int
inject(struct fixture *f, struct queue_inject *qi, const char *msg,
    size_t msglen, const char *env, size_t envlen)
{
	int	 mfd, efd, code;

	mfd = input_fd(msg, msglen);
	efd = input_fd(env, envlen);
	qi->queue = &f->queue;
	code = queue_inject(f->conf, qi, mfd, efd);
	(void)close(mfd);
	(void)close(efd);
	return code;
}

static ssize_t
slurp(const struct fixture *f, const char *path, char *out, size_t n)
{
	ssize_t	 r;
	int	 fd;

	if ((fd = openat(f->dirfd, path, O_RDONLY)) == -1)
		return -1;
	r = read(fd, out, n);
	(void)close(fd);
	return r;
}

static void
assert_file_0600(const struct fixture *f, const char *path)
{
	struct stat	 st;

	assert_int_equal(fstatat(f->dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
}

#define ENV_GOOD	"Fbob@example.org\0Talice@example.net\0Tcarol\0"

static void
test_good(void **state)
{
	struct fixture		*f = *state;
	static const char	 msg[] = "Subject: hi\n\nbody\n";
	struct queue_inject	 qi;
	struct queue_env	 qe;
	const char		*why = NULL;
	char			 path[64], got[4096];
	ssize_t			 n;
	int			 rfd;
	char			 c;

	assert_int_equal(mkfifoat(f->dirfd, "trigger", 0600), 0);
	assert_true((rfd = openat(f->dirfd, "trigger", O_RDONLY |
	    O_NONBLOCK)) != -1);
	queue_inject_init(&qi);
	qi.uid = 4242;
	assert_int_equal(inject(f, &qi, msg, sizeof(msg) - 1, ENV_GOOD,
	    sizeof(ENV_GOOD)), QMAIL_EXIT_OK);
	assert_true(queueid_valid(qi.id));
	assert_int_equal(qi.size, sizeof(msg) - 1);
	assert_int_equal(qi.nrcpt, 2);

	(void)snprintf(path, sizeof(path), "msg/%s", qi.id);
	assert_file_0600(f, path);
	n = slurp(f, path, got, sizeof(got));
	assert_int_equal(n, (ssize_t)sizeof(msg) - 1);
	assert_memory_equal(got, msg, sizeof(msg) - 1);

	(void)snprintf(path, sizeof(path), "env/%s", qi.id);
	assert_file_0600(f, path);
	assert_true((n = slurp(f, path, got, sizeof(got))) > 0);
	assert_int_equal(queue_env_decode(got, (size_t)n, &qe, &why), 0);
	assert_string_equal(qe.id, qi.id);
	assert_int_equal(qe.uid, 4242);
	assert_string_equal(qe.sender, "bob@example.org");
	assert_int_equal(qe.nrcpt, 2);
	assert_string_equal(qe.rcpt[0], "alice@example.net");
	assert_string_equal(qe.rcpt[1], "carol");
	queue_env_free(&qe);

	assert_int_equal(count_entries(f, "msg"), 1);
	assert_int_equal(count_entries(f, "env"), 1);
	assert_int_equal(count_entries(f, "tmp"), 0);
	/* one byte in the trigger, and nothing holds msg/<id> locked */
	assert_int_equal(read(rfd, &c, 1), 1);
	assert_int_equal(c, '\0');
	(void)close(rfd);
}

static void
test_null_sender_empty_message(void **state)
{
	struct fixture		*f = *state;
	static const char	 env[] = "F\0Tx@y\0";
	struct queue_inject	 qi;

	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, "", 0, env, sizeof(env)),
	    QMAIL_EXIT_OK);
	assert_int_equal(qi.size, 0);
	assert_int_equal(qi.nrcpt, 1);
	assert_int_equal(count_entries(f, "env"), 1);
}

static void
test_wanted_id(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi, qi2;
	char			 want[QUEUEID_LEN + 1];

	queueid_new(want);
	queue_inject_init(&qi);
	qi.wanted_id = want;
	assert_int_equal(inject(f, &qi, "a\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_string_equal(qi.id, want);
	/* taken now: the same wish gets a fresh ID */
	queue_inject_init(&qi2);
	qi2.wanted_id = want;
	assert_int_equal(inject(f, &qi2, "b\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_true(queueid_valid(qi2.id));
	assert_string_not_equal(qi2.id, want);
	assert_int_equal(count_entries(f, "env"), 2);
}

/* The inode of dirfd's path, or 0. */
static ino_t
inode_of(const struct fixture *f, const char *path)
{
	struct stat	 st;

	if (fstatat(f->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return st.st_ino;
}

/*
 * Files made ahead (lib/queue/queue_spare.c): the message and the envelope go
 * into the spares' inodes, renamed into place; none is left in tmp/.
 */
static void
test_spares_used(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	struct queue_spares	 sp;
	char			 mpath[64], spm[64], spe[64], buf[64];
	ino_t			 mi, ei;

	queue_spares_init(&sp);
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	assert_int_equal(count_entries(f, "tmp"), 2);
	assert_false(queueid_valid(sp.name[QUEUE_SPARE_MSG]));
	assert_false(queueid_valid(sp.name[QUEUE_SPARE_ENV]));
	(void)snprintf(spm, sizeof(spm), "tmp/%s", sp.name[QUEUE_SPARE_MSG]);
	(void)snprintf(spe, sizeof(spe), "tmp/%s", sp.name[QUEUE_SPARE_ENV]);
	assert_int_not_equal(mi = inode_of(f, spm), 0);
	assert_int_not_equal(ei = inode_of(f, spe), 0);
	/* making again makes nothing new while both are there */
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	assert_int_equal(count_entries(f, "tmp"), 2);

	queue_inject_init(&qi);
	qi.spares = &sp;
	assert_int_equal(inject(f, &qi, "m\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_string_equal(sp.name[QUEUE_SPARE_MSG], "");
	assert_string_equal(sp.name[QUEUE_SPARE_ENV], "");
	assert_int_equal(count_entries(f, "tmp"), 0);
	(void)snprintf(mpath, sizeof(mpath), "msg/%s", qi.id);
	assert_int_equal(inode_of(f, mpath), mi);
	assert_file_0600(f, mpath);
	assert_int_equal(slurp(f, mpath, buf, sizeof(buf)), 2);
	(void)snprintf(mpath, sizeof(mpath), "env/%s", qi.id);
	assert_int_equal(inode_of(f, mpath), ei);
	assert_file_0600(f, mpath);
	queue_spares_drop(&f->queue, &sp);
}

/* A spare gone, changed or in the way: the file is created as before. */
static void
test_spares_fallback(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	struct queue_spares	 sp;
	char			 path[64], want[QUEUEID_LEN + 1];
	int			 fd;

	/* gone: both were removed behind the writer's back */
	queue_spares_init(&sp);
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	(void)snprintf(path, sizeof(path), "tmp/%s", sp.name[QUEUE_SPARE_MSG]);
	assert_int_equal(unlinkat(f->dirfd, path, 0), 0);
	(void)snprintf(path, sizeof(path), "tmp/%s", sp.name[QUEUE_SPARE_ENV]);
	assert_int_equal(unlinkat(f->dirfd, path, 0), 0);
	queue_inject_init(&qi);
	qi.spares = &sp;
	assert_int_equal(inject(f, &qi, "a\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_int_equal(count_entries(f, "env"), 1);
	assert_int_equal(count_entries(f, "tmp"), 0);

	/* changed: a spare that is not empty is never used */
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	(void)snprintf(path, sizeof(path), "tmp/%s", sp.name[QUEUE_SPARE_MSG]);
	assert_true((fd = openat(f->dirfd, path, O_WRONLY)) != -1);
	assert_int_equal(write(fd, "old", 3), 3);
	(void)close(fd);
	queue_inject_init(&qi);
	qi.spares = &sp;
	assert_int_equal(inject(f, &qi, "b\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	(void)snprintf(path, sizeof(path), "msg/%s", qi.id);
	{
		char	 buf[16];

		assert_int_equal(slurp(f, path, buf, sizeof(buf)), 2);
		assert_memory_equal(buf, "b\n", 2);
	}
	assert_int_equal(count_entries(f, "env"), 2);
	assert_int_equal(count_entries(f, "tmp"), 0);

	/* in the way: the wanted ID is taken, the spare waits for the next */
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	(void)strlcpy(want, qi.id, sizeof(want));
	queue_inject_init(&qi);
	qi.spares = &sp;
	qi.wanted_id = want;
	assert_int_equal(inject(f, &qi, "c\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_string_not_equal(qi.id, want);
	assert_int_equal(count_entries(f, "env"), 3);
	assert_int_equal(count_entries(f, "tmp"), 0);
	queue_spares_drop(&f->queue, &sp);
	assert_int_equal(count_entries(f, "tmp"), 0);
}

/* A failure with spares leaves nothing, as without. */
static void
test_spares_failure(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	struct queue_spares	 sp;
	char			 big[2049];

	memset(big, 'x', sizeof(big));
	queue_spares_init(&sp);
	assert_int_equal(queue_spares_make(&f->queue, &sp), 0);
	queue_inject_init(&qi);
	qi.spares = &sp;
	assert_int_equal(inject(f, &qi, big, sizeof(big), ENV_GOOD,
	    sizeof(ENV_GOOD)), QMAIL_EXIT_TOO_BIG);
	/* the message's spare was used and removed; the envelope's stays */
	assert_int_equal(count_entries(f, "msg"), 0);
	assert_int_equal(count_entries(f, "env"), 0);
	assert_int_equal(count_entries(f, "tmp"), 1);
	queue_spares_drop(&f->queue, &sp);
	assert_queue_empty(f);
}

static void
test_envelope_errors(void **state)
{
	struct fixture		*f = *state;
	static const struct { const char *env; size_t len; int code; } c[] = {
		{ "Xbob\0Ta\0", 9, QMAIL_EXIT_ENV_BAD },	/* no F */
		{ "Fbob\0Xa\0", 9, QMAIL_EXIT_ENV_BAD },	/* not T */
		{ "Fbob\0", 6, QMAIL_EXIT_ENV_BAD },	/* no recipient */
		{ "Fbob\0", 5, QMAIL_EXIT_READ },		/* EOF early */
		{ "Fbob\0Ta", 7, QMAIL_EXIT_READ },		/* cut record */
		{ "", 0, QMAIL_EXIT_READ },			/* nothing */
		{ "Fb\tb\0Ta\0", 9, QMAIL_EXIT_ENV_BAD },	/* control */
	};
	struct queue_inject	 qi;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		queue_inject_init(&qi);
		assert_int_equal(inject(f, &qi, "m\n", 2, c[i].env, c[i].len),
		    c[i].code);
		assert_true(queueid_valid(qi.id));
		assert_queue_empty(f);
	}
}

static void
test_envelope_limits(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	char			*env;
	size_t			 n = 0, i, max;

	/* an address over QUEUE_ADDR_MAX */
	max = QUEUE_ADDR_MAX + 16;
	assert_non_null(env = malloc(max + 8));
	env[n++] = 'F';
	for (i = 0; i < QUEUE_ADDR_MAX + 1; i++)
		env[n++] = 'a';
	env[n++] = '\0';
	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, "m\n", 2, env, n),
	    QMAIL_EXIT_ADDR_LONG);
	assert_queue_empty(f);
	free(env);

	/* one recipient more than QUEUE_RCPT_MAX */
	max = 8 + (size_t)(QUEUE_RCPT_MAX + 1) * 4;
	assert_non_null(env = malloc(max));
	n = 0;
	memcpy(env, "Fb\0", 3);
	n = 3;
	for (i = 0; i < QUEUE_RCPT_MAX + 1; i++) {
		memcpy(env + n, "Tr\0", 3);
		n += 3;
	}
	env[n++] = '\0';
	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, "m\n", 2, env, n),
	    QMAIL_EXIT_RCPT_MANY);
	assert_queue_empty(f);
	free(env);
}

static void
test_too_big(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	char			 big[2049];

	/* exactly the limit is fine */
	memset(big, 'x', sizeof(big));
	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, big, 2048, ENV_GOOD,
	    sizeof(ENV_GOOD)), QMAIL_EXIT_OK);
	assert_int_equal(qi.size, 2048);
	assert_int_equal(count_entries(f, "env"), 1);
	/* one octet more: 31, and nothing of it stays */
	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, big, sizeof(big), ENV_GOOD,
	    sizeof(ENV_GOOD)), QMAIL_EXIT_TOO_BIG);
	assert_true(qmail_exit_permanent(QMAIL_EXIT_TOO_BIG));
	assert_int_equal(count_entries(f, "msg"), 1);
	assert_int_equal(count_entries(f, "env"), 1);
	assert_int_equal(count_entries(f, "tmp"), 0);
}

static void
test_timeout(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	int			 p[2], efd;

	/* a message pipe whose writer never closes */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "partial", 7), 7);
	efd = input_fd(ENV_GOOD, sizeof(ENV_GOOD));
	queue_inject_init(&qi);
	qi.queue = &f->queue;
	qi.timeout = 1;
	assert_int_equal(queue_inject(f->conf, &qi, p[0], efd),
	    QMAIL_EXIT_TIMEOUT);
	assert_queue_empty(f);
	(void)close(p[0]);
	(void)close(p[1]);
	(void)close(efd);
}

static void
test_cwd_and_bad_queue(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	struct queue		 cwdq;
	char			 old[PATH_MAX];
	int			 mfd, efd, code;

	/* no queue at all: an internal error, nothing written */
	mfd = input_fd("m\n", 2);
	efd = input_fd(ENV_GOOD, sizeof(ENV_GOOD));
	queue_inject_init(&qi);
	assert_int_equal(queue_inject(f->conf, &qi, mfd, efd),
	    QMAIL_EXIT_INTERNAL);
	(void)close(mfd);
	(void)close(efd);
	assert_queue_empty(f);

	/* AT_FDCWD with the cwd in queue_dir */
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(f->dir), 0);
	mfd = input_fd("m\n", 2);
	efd = input_fd(ENV_GOOD, sizeof(ENV_GOOD));
	queue_inject_init(&qi);
	queue_init(&cwdq, AT_FDCWD);
	qi.queue = &cwdq;
	code = queue_inject(f->conf, &qi, mfd, efd);
	assert_int_equal(chdir(old), 0);
	assert_int_equal(code, QMAIL_EXIT_OK);
	assert_int_equal(count_entries(f, "env"), 1);
	(void)close(mfd);
	(void)close(efd);

	/* no tmp/ directory: a temporary queue problem */
	assert_int_equal(unlinkat(f->dirfd, "tmp", AT_REMOVEDIR), 0);
	queue_inject_init(&qi);
	assert_int_equal(inject(f, &qi, "m\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_QUEUE);
	assert_false(qmail_exit_permanent(QMAIL_EXIT_QUEUE));
	assert_int_equal(count_entries(f, "msg"), 1);
	assert_int_equal(count_entries(f, "env"), 1);
}

/*
 * E4 is O_EXCL: a stale tmp/<id> (left by a crash in queued's recovery)
 * is not reused as it is, but removed and created anew.
 */
static void
test_stale_tmp(void **state)
{
	struct fixture		*f = *state;
	struct queue_inject	 qi;
	char			 id[QUEUEID_LEN + 1], path[64];
	struct stat		 st;
	ino_t			 stale;
	int			 fd;

	queueid_new(id);
	(void)snprintf(path, sizeof(path), "tmp/%s", id);
	assert_true((fd = openat(f->dirfd, path, O_CREAT | O_EXCL | O_WRONLY,
	    0644)) != -1);
	assert_int_equal(write(fd, "stale bytes, longer than an envelope",
	    36), 36);
	assert_int_equal(close(fd), 0);
	stale = inode_of(f, path);
	queue_inject_init(&qi);
	qi.wanted_id = id;
	assert_int_equal(inject(f, &qi, "m\n", 2, ENV_GOOD, sizeof(ENV_GOOD)),
	    QMAIL_EXIT_OK);
	assert_string_equal(qi.id, id);
	assert_int_equal(count_entries(f, "tmp"), 0);
	(void)snprintf(path, sizeof(path), "env/%s", id);
	assert_int_equal(fstatat(f->dirfd, path, &st, 0), 0);
	assert_true(st.st_ino != stale || st.st_size != 36);
	assert_int_equal(st.st_mode & 07777, 0600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_sender_empty_message,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wanted_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_envelope_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_envelope_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spares_used, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spares_fallback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spares_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cwd_and_bad_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp, setup,
		    teardown),
	};

	log_init("test_queue_inject", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
