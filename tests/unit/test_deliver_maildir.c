/*
 * Unit tests for lib/maildir/deliver_maildir.c, the delivery that lspawn's
 * delivery workers and deliver(8) share: the prefix bytes exact, the Maildir created, the
 * Delivered-To loop check (header only, case-insensitive, CRLF), checks
 * of the values, a Maildir path that is a file (permanent), a full disk
 * (RLIMIT_FSIZE: EFBIG, temporary, nothing left in tmp/ or new/), root
 * refused; many deliveries in one process, as a worker makes them (no
 * descriptor, umask or directory left changed, every name its own); and
 * users_cache_wipe, which a worker calls first.
 * As root, each delivery runs in a child as nobody (deliver_maildir
 * refuses root).
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
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver_maildir.h"
#include "maildir.h"
#include "queueid.h"
#include "fdio.h"
#include "users.h"

#define NOBODY		65534
#define ID		"0123456789ABCD"
#define SENDER		"alice@example.org"
#define RCPT		"bob@example.org"
#define PREFIX		"Return-Path: <" SENDER ">\nDelivered-To: " RCPT "\n"

struct fixture {
	char	 top[64];
	char	 md[PATH_MAX];	/* top/Maildir */
};

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)strlcpy(f->top, "/tmp/test_deliver_maildir.XXXXXX",
	    sizeof(f->top));
	if (mkdtemp(f->top) == NULL) {
		free(f);
		return -1;
	}
	if (geteuid() == 0 && chown(f->top, NOBODY, NOBODY) == -1)
		return -1;
	if (snprintf(f->md, sizeof(f->md), "%s/Maildir", f->top) >=
	    (int)sizeof(f->md))
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

	r = nftw(f->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return r;
}

/* An unlinked file holding data, at offset 0. */
static int
msg_fd(const struct fixture *f, const void *data, size_t n)
{
	char	 p[PATH_MAX];
	int	 fd;

	assert_true(snprintf(p, sizeof(p), "%s/msg", f->top) > 0);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(fd_write_full(fd, data, n), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/*
 * Runs deliver_maildir in a child (as nobody when root, with a file size
 * limit when fsize > 0); returns its code and its text.
 */
static int
run(const struct delivery *d, int msgfd, rlim_t fsize, char *text,
    size_t textsz)
{
	struct rlimit	 rl;
	int		 p[2], status, code;
	pid_t		 pid;
	ssize_t		 r;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		char	t[DELIVER_TEXT_MAX + 1];

		close(p[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setresgid(NOBODY, NOBODY, NOBODY) == -1 ||
		    setresuid(NOBODY, NOBODY, NOBODY) == -1))
			_exit(254);
		if (fsize > 0) {
			rl.rlim_cur = rl.rlim_max = fsize;
			if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
			    setrlimit(RLIMIT_FSIZE, &rl) == -1)
				_exit(253);
		}
		code = deliver_maildir(d, msgfd, t, sizeof(t));
		if (fd_write_full(p[1], t, strlen(t)) == -1)
			_exit(252);
		_exit(code);
	}
	close(p[1]);
	r = fd_read_full(p[0], text, textsz - 1);
	assert_true(r >= 0);
	text[r] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Each delivery is another queued message: a fresh queue ID. */
static int
deliver_bytes(const struct fixture *f, const char *rcpt, const char *data,
    size_t n, rlim_t fsize, char *text, size_t textsz)
{
	char		 id[QUEUEID_LEN + 1];
	struct delivery	 d = { SENDER, rcpt, id, f->md, 0, NULL, 0 };
	int		 fd, code;

	queueid_new(id);
	fd = msg_fd(f, data, n);
	code = run(&d, fd, fsize, text, textsz);
	close(fd);
	return code;
}

/* Number of entries (not . or ..) in Maildir/sub; -1 if it is missing. */
static int
count_in(const struct fixture *f, const char *sub)
{
	char		 p[PATH_MAX];
	DIR		*dir;
	struct dirent	*de;
	int		 n = 0;

	assert_true(snprintf(p, sizeof(p), "%s/%s", f->md, sub) > 0);
	if ((dir = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* The one file in new/, read whole into buf; returns its length. */
static size_t
read_new(const struct fixture *f, char *buf, size_t bufsz, struct stat *st)
{
	char		 p[PATH_MAX];
	DIR		*dir;
	struct dirent	*de;
	int		 fd;
	ssize_t		 r;

	assert_int_equal(count_in(f, "new"), 1);
	assert_true(snprintf(p, sizeof(p), "%s/new", f->md) > 0);
	assert_non_null(dir = opendir(p));
	while ((de = readdir(dir)) != NULL && de->d_name[0] == '.')
		continue;
	assert_non_null(de);
	assert_true(snprintf(p, sizeof(p), "%s/new/%s", f->md, de->d_name) > 0);
	closedir(dir);
	assert_true((fd = open(p, O_RDONLY)) != -1);
	assert_int_equal(fstat(fd, st), 0);
	r = fd_read_full(fd, buf, bufsz);
	assert_true(r >= 0);
	close(fd);
	return (size_t)r;
}

static void
test_delivered_prefix_exact(void **state)
{
	struct fixture	*f = *state;
	const char	 msg[] = "From: alice@example.org\r\nSubject: x\r\n"
			    "\r\nbody\r\n\0with a NUL\r\n";
	const char	 want[] = PREFIX "From: alice@example.org\r\n"
			    "Subject: x\r\n\r\nbody\r\n\0with a NUL\r\n";
	char		 text[600], got[1024];
	struct stat	 st;
	size_t		 n;

	assert_int_equal(deliver_bytes(f, RCPT, msg, sizeof(msg) - 1, 0, text,
	    sizeof(text)), DELIVER_OK);
	assert_string_equal(text, "delivered to maildir");
	n = read_new(f, got, sizeof(got), &st);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(got, want, n);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (geteuid() == 0)
		assert_int_equal(st.st_uid, NOBODY);
	assert_int_equal(count_in(f, "tmp"), 0);
}

static void
test_maildir_created(void **state)
{
	struct fixture	*f = *state;
	const char	*subs[] = { "", "/cur", "/new", "/tmp" };
	char		 text[600], p[PATH_MAX];
	struct stat	 st;
	size_t		 i;

	assert_int_equal(stat(f->md, &st), -1);
	assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0, text,
	    sizeof(text)), DELIVER_OK);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		assert_true(snprintf(p, sizeof(p), "%s%s", f->md, subs[i]) > 0);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0700);
	}
	/* a second delivery into the existing Maildir */
	assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0, text,
	    sizeof(text)), DELIVER_OK);
	assert_int_equal(count_in(f, "new"), 2);
}

/* A Maildir that exists without tmp/ or new/ is completed. */
static void
test_maildir_completed(void **state)
{
	struct fixture	*f = *state;
	const char	*subs[] = { "tmp", "new" };
	char		 text[600], p[PATH_MAX];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0,
		    text, sizeof(text)), DELIVER_OK);
		assert_true(snprintf(p, sizeof(p), "%s/%s", f->md, subs[i]) >
		    0);
		if (strcmp(subs[i], "new") == 0) {
			assert_true(snprintf(text, sizeof(text), "rm -r %s", p) >
			    0);
			assert_int_equal(system(text), 0);
		} else
			assert_int_equal(rmdir(p), 0);
		assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0,
		    text, sizeof(text)), DELIVER_OK);
		assert_string_equal(text, "delivered to maildir");
		assert_int_equal(count_in(f, "tmp"), 0);
	}
	assert_int_equal(count_in(f, "new"), 1);
}

/* The same from a pipe, which cannot be read twice. */
static void
test_maildir_completed_pipe(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[600], p[PATH_MAX], got[256];
	struct stat	 st;
	int		 fds[2];

	assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0, text,
	    sizeof(text)), DELIVER_OK);
	assert_true(snprintf(p, sizeof(p), "%s/new", f->md) > 0);
	assert_true(snprintf(text, sizeof(text), "rm -r %s", p) > 0);
	assert_int_equal(system(text), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fd_write_full(fds[1], "a: b\n\nc\n", 8), 0);
	close(fds[1]);
	assert_int_equal(run(&d, fds[0], 0, text, sizeof(text)), DELIVER_OK);
	close(fds[0]);
	assert_int_equal(read_new(f, got, sizeof(got), &st),
	    sizeof(PREFIX) - 1 + 8);
}

static void
test_loop_detected(void **state)
{
	struct fixture	*f = *state;
	const char	 lf[] = "From: a@b\nDelivered-To: other@example.org\n"
			    "Delivered-To:   BOB@Example.ORG  \nSubject: x\n\nbody\n";
	const char	 crlf[] = "From: a@b\r\nDelivered-To:\r\n bob@example.org"
			    "\r\n\r\nbody\r\n";
	char		 text[600];

	assert_int_equal(deliver_bytes(f, RCPT, lf, sizeof(lf) - 1, 0, text,
	    sizeof(text)), DELIVER_PERM);
	assert_string_equal(text, "mail loop: already delivered to " RCPT);
	/* folded, CRLF */
	assert_int_equal(deliver_bytes(f, RCPT, crlf, sizeof(crlf) - 1, 0,
	    text, sizeof(text)), DELIVER_PERM);
	/* refused before the Maildir is touched */
	assert_int_equal(count_in(f, "new"), -1);
}

static void
test_loop_only_in_header(void **state)
{
	struct fixture	*f = *state;
	const char	 body[] = "From: a@b\nDelivered-To: other@example.org\n"
			    "\nDelivered-To: bob@example.org\n";
	const char	 other[] = "Delivered-To: bob@example.org.evil\n"
			    "X-Delivered-To: bob@example.org\n\nx\n";
	char		 text[600];

	assert_int_equal(deliver_bytes(f, RCPT, body, sizeof(body) - 1, 0,
	    text, sizeof(text)), DELIVER_OK);
	assert_int_equal(deliver_bytes(f, RCPT, other, sizeof(other) - 1, 0,
	    text, sizeof(text)), DELIVER_OK);
	assert_int_equal(count_in(f, "new"), 2);
}

static void
test_bad_values(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[600];
	int		 fd;

	fd = msg_fd(f, "a: b\n\n", 6);
	d.id = "not-an-id";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	assert_string_equal(text, "invalid queue id");
	d.id = ID;
	d.maildir = "Maildir";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	assert_string_equal(text, "invalid maildir path");
	d.maildir = "/tmp/x\n/y";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	d.maildir = f->md;
	d.rcpt = "";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	assert_string_equal(text, "invalid recipient address");
	d.rcpt = "bob@example.org\r\nX: y";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	d.rcpt = RCPT;
	d.sender = "";		/* the null sender */
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	d.sender = "a\tb";
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_PERM);
	assert_string_equal(text, "invalid sender address");
	close(fd);
	assert_int_equal(count_in(f, "new"), 1);
}

static void
test_maildir_is_a_file(void **state)
{
	struct fixture	*f = *state;
	char		 text[600], under[PATH_MAX];
	int		 fd;

	fd = open(f->md, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0, text,
	    sizeof(text)), DELIVER_PERM);
	assert_non_null(strstr(text, "is not a directory"));
	/* a parent that is a file */
	assert_true(snprintf(under, sizeof(under), "%s/Maildir", f->md) > 0);
	(void)strlcpy(f->md, under, sizeof(f->md));
	assert_int_equal(deliver_bytes(f, RCPT, "a: b\n\nc\n", 8, 0, text,
	    sizeof(text)), DELIVER_PERM);
	assert_non_null(strstr(text, "parent"));
}

static void
test_disk_full(void **state)
{
	struct fixture	*f = *state;
	char		*big, text[600];
	size_t		 n = 200000;

	assert_non_null(big = malloc(n));
	memset(big, 'x', n);
	memcpy(big, "a: b\n\n", 6);
	/* the file size limit makes write(2) fail with EFBIG, like ENOSPC */
	assert_int_equal(deliver_bytes(f, RCPT, big, n, 65536, text,
	    sizeof(text)), DELIVER_TEMP);
	assert_non_null(strstr(text, strerror(EFBIG)));
	assert_int_equal(count_in(f, "tmp"), 0);
	assert_int_equal(count_in(f, "new"), 0);
	free(big);
}

static void
test_no_message(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[600];
	int		 fd;

	/* a directory is not a message */
	assert_true((fd = open("/", O_RDONLY | O_DIRECTORY)) != -1);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_TEMP);
	close(fd);
}

static void
test_root_refused(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[600];
	int		 fd;

	if (geteuid() != 0)
		skip();
	fd = msg_fd(f, "a: b\n\n", 6);
	assert_int_equal(deliver_maildir(&d, fd, text, sizeof(text)),
	    DELIVER_PERM);
	assert_string_equal(text, "refusing to deliver as root");
	close(fd);
	assert_int_equal(count_in(f, "new"), -1);
}

static void
test_text_capped(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, "bad", f->md, 0, NULL, 0 };
	char		 small[8];
	int		 fd;

	fd = msg_fd(f, "a: b\n\n", 6);
	assert_int_equal(deliver_maildir(&d, fd, small, sizeof(small)),
	    DELIVER_PERM);
	assert_string_equal(small, "invalid");
	close(fd);
}

static void
test_users_cache_wipe(void **state)
{
	struct fixture	*f = *state;
	struct user_entry e;
	char		 p[PATH_MAX];
	const char	 line[] = "bob:{PLAIN}secret:1000:1000::/home/bob::\n";
	int		 fd;

	assert_true(snprintf(p, sizeof(p), "%s/users", f->top) > 0);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0600)) != -1);
	assert_int_equal(fd_write_full(fd, line, sizeof(line) - 1), 0);
	close(fd);
	assert_int_equal(users_lookup(p, 0, "bob", &e), 1);
	assert_string_equal(e.hash, "{PLAIN}secret");
	users_cache_wipe();
	users_cache_wipe();		/* twice is harmless */
	/* loaded again on the next lookup */
	assert_int_equal(users_lookup(p, 0, "bob", &e), 1);
	assert_int_equal(e.uid, 1000);
	users_cache_wipe();
}

static int
open_fds(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * Many deliveries in one process, as a delivery worker of lspawn makes
 * them: every one lands, under a name of its own, with its own bytes; a
 * failed one in between changes nothing for the next; no descriptor,
 * umask or working directory is left changed by any of them.
 */
#define MANY	40

static void
test_many_in_one_process(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[DELIVER_TEXT_MAX + 1], msg[128], got[256],
			 p[PATH_MAX], cwd[PATH_MAX], id[QUEUEID_LEN + 1];
	struct dirent	*de;
	struct stat	 st;
	DIR		*dir;
	pid_t		 pid;
	int		 status, i, n, fd, fds, seen[MANY];

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setresgid(NOBODY, NOBODY, NOBODY) == -1 ||
		    setresuid(NOBODY, NOBODY, NOBODY) == -1))
			_exit(254);
		umask(077);
		if (chdir("/") == -1)
			_exit(253);
		fds = open_fds();
		for (i = 0; i < MANY; i++) {
			n = snprintf(msg, sizeof(msg), "%sSubject: %d\n\n"
			    "body %d\n", i % 10 == 5 ? "Delivered-To: " RCPT
			    "\n" : "", i, i);
			fd = msg_fd(f, msg, (size_t)n);
			d.rcpt = RCPT;
			queueid_new(id);
			d.id = id;
			if (deliver_maildir(&d, fd, text, sizeof(text)) !=
			    (i % 10 == 5 ? DELIVER_PERM : DELIVER_OK))
				_exit(10);
			close(fd);
			if (open_fds() != fds)
				_exit(11);
			if (umask(077) != 077)
				_exit(12);
			if (getcwd(cwd, sizeof(cwd)) == NULL ||
			    strcmp(cwd, "/") != 0)
				_exit(13);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* 36 messages, the loops refused; each one's bytes under its name */
	assert_int_equal(count_in(f, "new"), MANY - MANY / 10);
	assert_int_equal(count_in(f, "tmp"), 0);
	memset(seen, 0, sizeof(seen));
	assert_true(snprintf(p, sizeof(p), "%s/new", f->md) > 0);
	assert_non_null(dir = opendir(p));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(snprintf(p, sizeof(p), "%s/new/%s", f->md,
		    de->d_name) > 0);
		assert_true((fd = open(p, O_RDONLY)) != -1);
		assert_int_equal(fstat(fd, &st), 0);
		n = (int)fd_read_full(fd, got, sizeof(got) - 1);
		close(fd);
		assert_true(n > 0);
		got[n] = '\0';
		assert_int_equal(sscanf(got, PREFIX "Subject: %d", &i), 1);
		assert_true(i >= 0 && i < MANY && i % 10 != 5);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		assert_true(snprintf(msg, sizeof(msg), PREFIX "Subject: %d\n\n"
		    "body %d\n", i, i) > 0);
		assert_string_equal(got, msg);
	}
	closedir(dir);
}

/*
 * Exactly once: a second attempt at one message for one recipient (its
 * first result lost) delivers nothing; with check it also finds the copy
 * a reader moved to cur/ and flagged; another recipient of the same
 * message, in the same Maildir, gets its own copy.
 */
static void
test_once(void **state)
{
	struct fixture	*f = *state;
	struct delivery	 d = { SENDER, RCPT, ID, f->md, 0, NULL, 0 };
	char		 text[DELIVER_TEXT_MAX + 1], name[MAILDIR_NAME_MAX + 1];
	char		 a[PATH_MAX], b[PATH_MAX], pre[64];
	int		 fd;

	fd = msg_fd(f, "a: b\n\nc\n", 8);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	assert_string_equal(text, "delivered to maildir");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	assert_non_null(strstr(text, "already delivered"));
	assert_int_equal(count_in(f, "new"), 1);
	assert_int_equal(count_in(f, "tmp"), 0);
	/* the name: arrival second, queue ID, recipient hash, host */
	assert_int_equal(maildir_queue_name(name, sizeof(name), ID, RCPT), 0);
	assert_true(snprintf(pre, sizeof(pre), ".Q%sR", ID) > 0);
	assert_non_null(strstr(name, pre));
	assert_true(snprintf(a, sizeof(a), "%s/new/%s", f->md, name) > 0);
	assert_int_equal(access(a, F_OK), 0);
	assert_int_equal(maildir_has(f->md, name), 1);
	/* a reader read it: cur/NAME:2,S */
	assert_true(snprintf(b, sizeof(b), "%s/cur/%s:2,S", f->md, name) > 0);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(maildir_has(f->md, name), 1);
	d.check = 1;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	assert_non_null(strstr(text, "already delivered"));
	assert_int_equal(count_in(f, "new"), 0);
	assert_int_equal(count_in(f, "tmp"), 0);
	/* a size field a reader added to the base name still matches */
	assert_true(snprintf(a, sizeof(a), "%s/cur/%s,S=42:2,", f->md, name) >
	    0);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(maildir_has(f->md, name), 1);
	/* a longer name that only starts with it does not */
	assert_true(snprintf(b, sizeof(b), "%s/cur/%sX:2,", f->md, name) > 0);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(maildir_has(f->md, name), 0);
	assert_int_equal(unlink(b), 0);
	/* deleted by its owner: a later attempt delivers it again */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	assert_string_equal(text, "delivered to maildir");
	/* another recipient of the same message, into the same Maildir */
	d.rcpt = "carol@example.org";
	d.check = 0;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(run(&d, fd, 0, text, sizeof(text)), DELIVER_OK);
	assert_string_equal(text, "delivered to maildir");
	assert_int_equal(count_in(f, "new"), 2);
	close(fd);
	/* not a queue ID: no name */
	assert_int_equal(maildir_queue_name(name, sizeof(name), "x", RCPT), -1);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_once),
		T(test_delivered_prefix_exact),
		T(test_maildir_created),
		T(test_maildir_completed),
		T(test_maildir_completed_pipe),
		T(test_loop_detected),
		T(test_loop_only_in_header),
		T(test_bad_values),
		T(test_maildir_is_a_file),
		T(test_disk_full),
		T(test_no_message),
		T(test_root_refused),
		T(test_text_capped),
		T(test_users_cache_wipe),
		T(test_many_in_one_process),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
