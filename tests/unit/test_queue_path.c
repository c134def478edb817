/*
 * Unit tests for lib/queue/queue_path.c and lib/queue/queue_owner.c: the
 * builder gives "sub/name" relative to queue_dir, or "name" relative to a
 * folder's own descriptor once it has one; it refuses empty names, ".",
 * "..", a '/', control bytes and names too long, never truncating; the
 * folders are made, synced and listed; queue_open refuses a queue_dir or
 * folder that is a symbolic link, missing, writable by others or of
 * another owner; queue_file_ok takes only the owner's regular files with
 * one link; queue_layout_create, as root, chowns nothing it did not make
 * or check; the trigger must be the owner's FIFO; one queued lock at a
 * time; queue_identity keeps a non-owner out and, as root, becomes the
 * owner of the queue for good.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "queue_owner.h"
#include "queue_path.h"

static char	dir[64];

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
	(void)state;
	(void)strlcpy(dir, "/tmp/test_queue_path.XXXXXX", sizeof(dir));
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_path_through_queue_dir(void **state)
{
	struct queue		 q;
	struct queue_loc	 l;
	struct stat		 st;
	int			 fd;

	(void)state;
	queue_init(&q, open(dir, O_RDONLY | O_DIRECTORY));
	assert_true(q.dirfd >= 0);
	assert_int_equal(queue_layout_make(&q), 0);
	assert_int_equal(queue_path(&q, QUEUE_MSG, "0123456789ABCD", &l), 0);
	assert_int_equal(l.at, q.dirfd);
	assert_string_equal(l.name, "msg/0123456789ABCD");
	assert_string_equal(l.path, "msg/0123456789ABCD");
	assert_true((fd = openat(l.at, l.name, O_CREAT | O_EXCL | O_WRONLY,
	    0600)) != -1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(queue_sub_sync(&q, QUEUE_MSG), 0);

	/* once the folder has its own descriptor, names are relative to it */
	assert_int_equal(queue_sub_open(&q, QUEUE_MSG), 0);
	assert_int_equal(queue_path(&q, QUEUE_MSG, "0123456789ABCD", &l), 0);
	assert_int_equal(l.at, q.subfd[QUEUE_MSG]);
	assert_string_equal(l.name, "0123456789ABCD");
	assert_string_equal(l.path, "msg/0123456789ABCD");
	assert_int_equal(fstatat(l.at, l.name, &st, 0), 0);
	assert_int_equal(queue_sub_sync(&q, QUEUE_MSG), 0);
	(void)close(q.dirfd);
	queue_close(&q);
	assert_int_equal(q.subfd[QUEUE_MSG], -1);
}

/* dir/name, in buf */
static const char *
at(char *buf, size_t n, const char *name)
{
	(void)snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

/* queue_open's result with errno, the queue closed again. */
static int
open_result(const char *path, int *err)
{
	struct queue	 q;
	int		 r;

	errno = 0;
	r = queue_open(&q, path);
	*err = errno;
	if (r == 0)
		queue_close(&q);
	return r;
}

static void
test_open_checks(void **state)
{
	struct queue		 q;
	struct queue_loc	 l;
	struct passwd		*pw;
	char			 p[128], p2[128], other[128];
	int			 i, err;

	(void)state;
	assert_int_equal(queue_layout_create(dir, NULL), 0);
	assert_int_equal(queue_open(&q, dir), 0);
	for (i = 0; i < QUEUE_NSUB; i++)
		assert_true(q.subfd[i] >= 0);
	assert_int_equal(q.owner, geteuid());
	/* every file is reached through its folder's own descriptor */
	assert_int_equal(queue_path(&q, QUEUE_TMP, "0123456789ABCD", &l), 0);
	assert_int_equal(l.at, q.subfd[QUEUE_TMP]);
	assert_string_equal(l.name, "0123456789ABCD");
	queue_close(&q);

	/* a folder that is a symbolic link (to a directory we own) */
	(void)strlcpy(other, "/tmp/test_queue_path_other.XXXXXX",
	    sizeof(other));
	assert_non_null(mkdtemp(other));
	assert_int_equal(rename(at(p, sizeof(p), "tmp"),
	    at(p2, sizeof(p2), "tmp.real")), 0);
	assert_int_equal(symlink(other, p), 0);
	assert_int_equal(open_result(dir, &err), -1);
	assert_true(err == ENOTDIR || err == ELOOP);
	assert_int_equal(unlink(p), 0);
	/* missing */
	assert_int_equal(open_result(dir, &err), -1);
	assert_int_equal(err, ENOENT);
	assert_int_equal(rename(p2, p), 0);
	assert_int_equal(open_result(dir, &err), 0);
	/* writable by the group, or by others */
	assert_int_equal(chmod(at(p, sizeof(p), "env"), 0770), 0);
	assert_int_equal(open_result(dir, &err), -1);
	assert_int_equal(err, EPERM);
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(chmod(dir, 0702), 0);
	assert_int_equal(open_result(dir, &err), -1);
	assert_int_equal(err, EPERM);
	assert_int_equal(chmod(dir, 0700), 0);
	/* queue_dir itself a symbolic link */
	assert_int_equal(symlink(dir, at(p, sizeof(p), "../test_queue_path_link")
	    ), 0);
	assert_int_equal(open_result(p, &err), -1);
	assert_true(err == ENOTDIR || err == ELOOP);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(rmdir(other), 0);

	if (geteuid() != 0) {
		/* not root: a queue_dir of another owner */
		assert_int_equal(open_result("/", &err), -1);
		assert_int_equal(err, EPERM);
		return;
	}
	if ((pw = getpwnam("nobody")) == NULL)
		return;
	/* root: a folder of another owner than queue_dir's */
	assert_int_equal(chown(at(p, sizeof(p), "state"), pw->pw_uid,
	    pw->pw_gid), 0);
	assert_int_equal(open_result(dir, &err), -1);
	assert_int_equal(err, EPERM);
	assert_int_equal(chown(p, 0, 0), 0);
	assert_int_equal(open_result(dir, &err), 0);
}

static void
test_file_ok(void **state)
{
	struct queue	 q;
	struct passwd	*pw;
	char		 p[128], p2[128];
	int		 fd, fifo;

	(void)state;
	assert_int_equal(queue_layout_create(dir, NULL), 0);
	assert_int_equal(queue_open(&q, dir), 0);
	assert_true((fd = open(at(p, sizeof(p), "msg/A"), O_CREAT | O_RDWR,
	    0600)) != -1);
	assert_int_equal(queue_file_ok(&q, fd), 1);
	/* a second link: not a queue file (a hard link to another's file) */
	assert_int_equal(link(p, at(p2, sizeof(p2), "msg/B")), 0);
	assert_int_equal(queue_file_ok(&q, fd), 0);
	assert_int_equal(errno, EPERM);
	assert_int_equal(unlink(p2), 0);
	assert_int_equal(queue_file_ok(&q, fd), 1);
	/* a FIFO */
	assert_int_equal(mkfifo(at(p2, sizeof(p2), "msg/F"), 0600), 0);
	assert_true((fifo = open(p2, O_RDONLY | O_NONBLOCK)) != -1);
	assert_int_equal(queue_file_ok(&q, fifo), 0);
	assert_int_equal(close(fifo), 0);
	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
		/* another owner's file */
		assert_int_equal(fchown(fd, pw->pw_uid, pw->pw_gid), 0);
		assert_int_equal(queue_file_ok(&q, fd), 0);
	}
	assert_int_equal(close(fd), 0);
	queue_close(&q);
}

/* As root: the queue made for a user, and what root refuses to chown. */
static void
test_layout_create_as_root(void **state)
{
	static const char *const subs[] = { "msg", "tmp", "env", "state",
	    "corrupt", "free" };
	struct passwd	*pw;
	struct stat	 st;
	struct queue	 q;
	char		 p[256], p2[128], victim[128];
	size_t		 i;
	int		 fd;

	(void)state;
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		/* not root: made for ourselves, queue_user not looked at */
		assert_int_equal(queue_layout_create(dir, "no-such-user"), 0);
		assert_int_equal(stat(at(p, sizeof(p), "free"), &st), 0);
		assert_int_equal(st.st_uid, geteuid());
		return;
	}
	assert_int_equal(queue_layout_create(dir, "no-such-user-at-all"), -1);
	assert_int_equal(queue_layout_create(dir, "nobody"), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, pw->pw_uid);
	assert_int_equal(st.st_mode & 07777, 0700);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		assert_int_equal(stat(at(p, sizeof(p), subs[i]), &st), 0);
		assert_int_equal(st.st_uid, pw->pw_uid);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	assert_int_equal(stat(at(p, sizeof(p), "trigger"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_uid, pw->pw_uid);
	/* the trigger of another owner than queue_dir's is refused */
	assert_int_equal(chown(p, 0, 0), 0);
	assert_int_equal(queue_open(&q, dir), 0);
	assert_int_equal(q.owner, pw->pw_uid);
	assert_int_equal(queue_trigger_open(&q, O_RDONLY), -1);
	assert_int_equal(errno, EINVAL);
	queue_close(&q);
	/* the queue user swaps a folder for a link to root's directory */
	(void)strlcpy(victim, "/tmp/test_queue_path_victim.XXXXXX",
	    sizeof(victim));
	assert_non_null(mkdtemp(victim));
	assert_int_equal(rmdir(at(p, sizeof(p), "corrupt")), 0);
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(queue_layout_create(dir, "nobody"), -1);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(unlink(p), 0);
	/* or the FIFO for a hard link to root's file */
	assert_int_equal(unlink(at(p, sizeof(p), "trigger")), 0);
	(void)snprintf(p, sizeof(p), "%s/file", victim);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0600)) != -1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(link(p, at(p2, sizeof(p2), "trigger")), 0);
	assert_int_equal(queue_layout_create(dir, "nobody"), -1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(unlink(p2), 0);
	assert_int_equal(rmdir(victim), 0);
	assert_int_equal(chown(dir, 0, 0), 0);
}

static void
test_path_refuses(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/x", "../x",
	    "a\nb", "a\x7f" };
	char			 longname[QUEUE_NAME_MAX + 1];
	struct queue		 q;
	struct queue_loc	 l;
	size_t			 i;

	(void)state;
	queue_init(&q, AT_FDCWD);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(queue_path(&q, QUEUE_TMP, bad[i], &l), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(l.name, "");
	}
	assert_int_equal(queue_path(&q, QUEUE_NSUB, "x", &l), -1);
	/* the longest name fits in every folder; one more octet does not */
	memset(longname, 'a', sizeof(longname));
	longname[QUEUE_NAME_MAX - 1] = '\0';
	assert_int_equal(queue_path(&q, QUEUE_CORRUPT, longname, &l), 0);
	assert_int_equal(strlen(l.path), strlen("corrupt/") +
	    QUEUE_NAME_MAX - 1);
	longname[QUEUE_NAME_MAX - 1] = 'a';
	longname[QUEUE_NAME_MAX] = '\0';
	errno = 0;
	assert_int_equal(queue_path(&q, QUEUE_MSG, longname, &l), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_string_equal(l.path, "");
}

static void
test_layout_trigger_lock(void **state)
{
	struct queue	 q;
	char		 path[128];
	DIR		*d;
	int		 r, w, lock, lock2;

	(void)state;
	queue_init(&q, open(dir, O_RDONLY | O_DIRECTORY));
	assert_true(q.dirfd >= 0);
	/* a trigger that is no FIFO is refused */
	(void)snprintf(path, sizeof(path), "%s/trigger", dir);
	assert_true((r = open(path, O_CREAT | O_WRONLY, 0600)) != -1);
	assert_int_equal(close(r), 0);
	assert_int_equal(queue_layout_make(&q), -1);
	assert_int_equal(queue_trigger_open(&q, O_RDONLY), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(queue_layout_make(&q), 0);
	/* no reader yet: a writer cannot open it (enqueue then skips it) */
	assert_int_equal(queue_trigger_open(&q, O_WRONLY), -1);
	assert_true((r = queue_trigger_open(&q, O_RDONLY)) != -1);
	assert_true((w = queue_trigger_open(&q, O_WRONLY)) != -1);
	assert_int_equal(close(w), 0);
	assert_int_equal(close(r), 0);
	/* every folder is there and listable */
	assert_non_null(d = queue_sub_opendir(&q, QUEUE_FREE));
	assert_int_equal(closedir(d), 0);
	/* one lock at a time */
	assert_true((lock = queue_lock_take(&q)) != -1);
	assert_int_equal(queue_lock_take(&q), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(close(lock), 0);
	assert_true((lock2 = queue_lock_take(&q)) != -1);
	assert_int_equal(close(lock2), 0);
	(void)close(q.dirfd);
	queue_close(&q);
}

/* In a child: queue_identity's result and the uids after it. */
static int
identity_in_child(struct queue *q, uid_t *after)
{
	int	 p[2], st, r;
	uid_t	 u;
	pid_t	 pid;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		r = queue_identity(q, NULL, NULL);
		u = geteuid();
		if (write(p[1], &u, sizeof(u)) != (ssize_t)sizeof(u))
			_exit(2);
		_exit(r == 0 ? 0 : 1);
	}
	(void)close(p[1]);
	assert_int_equal(read(p[0], after, sizeof(*after)),
	    (ssize_t)sizeof(*after));
	(void)close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
test_identity(void **state)
{
	struct queue		 q;
	struct queue_owner	 o;
	struct passwd		*pw;
	uid_t			 after;

	(void)state;
	assert_int_equal(queue_layout_create(dir, NULL), 0);
	assert_int_equal(queue_open(&q, dir), 0);
	assert_int_equal(queue_owner_lookup(dir, &o), 0);
	assert_int_equal(o.uid, geteuid());
	/* the owner (root: a root-owned queue) keeps its identity */
	assert_int_equal(identity_in_child(&q, &after), 0);
	assert_int_equal(after, geteuid());
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		/* not root: a queue of another owner is not even opened */
		queue_close(&q);
		return;
	}
	/* root: becomes the owner, for good */
	assert_int_equal(chown(dir, pw->pw_uid, pw->pw_gid), 0);
	assert_int_equal(identity_in_child(&q, &after), 0);
	assert_int_equal(after, pw->pw_uid);
	assert_int_equal(chown(dir, 0, 0), 0);
	queue_close(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_through_queue_dir,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_create_as_root,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_trigger_lock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup,
		    teardown),
	};

	log_init("test_queue_path", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
