/*
 * Unit tests for lib/login/login_split.c: the monitor, login and session
 * processes with a toy protocol.  A good login starts the session, whose
 * stream reaches the login process and whose exit code the monitor
 * returns; bad credentials and too many failures are answered; a
 * malformed frame, a frame with the wrong fields and a second login
 * after a session get the login process killed.  As root the session
 * runs as nobody; otherwise nothing changes identity.  The frame parser
 * and the monitor's verdict on a frame (login_split_take: a descriptor
 * with credentials is refused too) are tested alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"
#include "fdio.h"
#include "login_split.h"

static int	 report[2];		/* login process -> test */
static char	 users_path[64];

static struct conf *
make_conf(const char *extra)
{
	struct passwd	*pw;
	char		 text[2048], line[256];
	uid_t		 uid = getuid();
	gid_t		 gid = getgid();
	const char	*lu;
	int		 fd, n;

	if (uid == 0) {
		pw = getpwnam("nobody");
		assert_non_null(pw);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		lu = "nobody";
	} else {
		pw = getpwuid(uid);
		assert_non_null(pw);
		lu = pw->pw_name;
	}
	(void)snprintf(users_path, sizeof(users_path),
	    "/tmp/test_login_split.XXXXXX");
	fd = mkstemp(users_path);
	assert_true(fd >= 0);
	n = snprintf(line, sizeof(line), "u:{PLAIN}pw:%ld:%ld::/tmp::\n",
	    (long)uid, (long)gid);
	assert_int_equal(fd_write_full(fd, line, (size_t)n), 0);
	(void)close(fd);
	n = snprintf(text, sizeof(text),
	    "login_user = %s\nlogin_chroot =\nusers_file = %s\n"
	    "system_users = no\nauth_allow_plain_hashes = yes\n"
	    "auth_state_dir =\nauth_fail_delay_max = 0\n"
	    "first_valid_uid = %ld\n%s",
	    lu, users_path, (long)(uid > 0 ? uid : 1), extra);
	return conf_load_buf(text, (size_t)n, "test", NULL, NULL);
}

static void
say(const char *s)
{
	(void)fd_write_full(report[1], s, strlen(s));
}

/* Runs login_split_run in a child; returns its exit status. */
static int
run_split(struct conf *conf, int (*login)(struct login_split *, void *),
    int (*session)(const struct conf *, const struct user_entry *, int,
    void *), char *got, size_t gotsz)
{
	struct login_proto	 proto = { "test", login, session, NULL };
	ssize_t			 n;
	size_t			 len = 0;
	pid_t			 pid;
	int			 status;

	assert_int_equal(pipe(report), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)close(report[0]);
		_exit(login_split_run(conf, &proto, NULL));
	}
	(void)close(report[1]);
	while (len + 1 < gotsz &&
	    (n = read(report[0], got + len, gotsz - len - 1)) > 0)
		len += (size_t)n;
	got[len] = '\0';
	(void)close(report[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	conf_free(conf);
	(void)unlink(users_path);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int
session_hello(const struct conf *c, const struct user_entry *u, int fd,
    void *arg)
{
	char	 b[128];
	int	 n;

	(void)c;
	(void)arg;
	n = snprintf(b, sizeof(b), "hello %s %d", u->name,
	    getuid() == u->uid && geteuid() == u->uid);
	(void)fd_write_full(fd, b, (size_t)n);
	return 7;
}

static int
login_good(struct login_split *s, void *arg)
{
	char	 b[128];
	ssize_t	 n;
	int	 fd;

	(void)arg;
	if (login_split_auth(s, "u", "pw", &fd) != LOGIN_OK) {
		say("not ok");
		return 1;
	}
	n = fd_read_full(fd, b, sizeof(b) - 1);
	b[n > 0 ? n : 0] = '\0';
	say(b);
	return 0;
}

static void
test_good_login(void **state)
{
	char	 got[256];

	(void)state;
	assert_int_equal(run_split(make_conf(""), login_good, session_hello,
	    got, sizeof(got)), 7);
	assert_string_equal(got, "hello u 1");
}

static int
login_bad(struct login_split *s, void *arg)
{
	int	 fd;

	(void)arg;
	say(login_split_auth(s, "u", "wrong", &fd) == LOGIN_BAD ? "B" : "?");
	say(login_split_auth(s, "nobody-here", "pw", &fd) == LOGIN_BAD ?
	    "B" : "?");
	say(login_split_auth(s, "u", "wrong", &fd) == LOGIN_CLOSE ? "C" : "?");
	say(fd == -1 ? "" : "fd!");
	return 0;
}

static void
test_bad_logins(void **state)
{
	char	 got[64];

	(void)state;
	assert_int_equal(run_split(make_conf("auth_fail_limit = 3\n"),
	    login_bad, session_hello, got, sizeof(got)), 0);
	assert_string_equal(got, "BBC");
}

static int __attribute__((noreturn))
login_garbage(struct login_split *s, void *arg)
{
	(void)arg;
	say("sent");
	(void)close(report[1]);
	(void)send(s->mon_fd, "garbage", 7, 0);
	for (;;)
		pause();
}

static int __attribute__((noreturn))
login_wrong_fields(struct login_split *s, void *arg)
{
	(void)arg;
	say("sent");
	(void)close(report[1]);
	(void)send(s->mon_fd, "5:X\0a\0b,", 8, 0);
	for (;;)
		pause();
}

static int
login_twice(struct login_split *s, void *arg)
{
	int	 fd, fd2;

	(void)arg;
	if (login_split_auth(s, "u", "pw", &fd) != LOGIN_OK)
		return 1;
	say("ok");
	(void)close(report[1]);
	/* A second login after a session is a protocol violation. */
	(void)login_split_auth(s, "u", "pw", &fd2);
	for (;;)
		pause();
}

static void
test_malformed_frames_kill(void **state)
{
	char	 got[64];

	(void)state;
	/* The login process never ends by itself: only the kill ends it. */
	assert_int_equal(run_split(make_conf(""), login_garbage,
	    session_hello, got, sizeof(got)), 1);
	assert_string_equal(got, "sent");
	assert_int_equal(run_split(make_conf(""), login_wrong_fields,
	    session_hello, got, sizeof(got)), 1);
	assert_int_equal(run_split(make_conf(""), login_twice,
	    session_hello, got, sizeof(got)), 1);
	assert_string_equal(got, "ok");
}

#define FRAME(s)	(s), sizeof(s) - 1

/* Parses a copy of s[0..n) in a buffer of exactly n bytes. */
static int
parse(const char *s, size_t n, char **copy, char **f, int maxf)
{
	*copy = malloc(n);
	assert_non_null(*copy);
	memcpy(*copy, s, n);
	return login_split_parse(*copy, n, f, maxf);
}

static void
test_parse_frames(void **state)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} bad[] = {
		{ FRAME("garbage") },
		{ FRAME("0:,") },		/* no fields */
		{ FRAME("1:K") },		/* no ',' */
		{ FRAME("1:K,1:K,") },		/* bytes after the frame */
		{ FRAME("01:K,") },		/* leading zero */
		{ FRAME("9:A\0b\0c\0d\0e,") },	/* five fields for four */
		{ FRAME("2049:") },		/* over LOGIN_FRAME_MAX */
		{ FRAME("") },
	};
	char	*copy, *f[4];
	size_t	 i;

	(void)state;
	assert_int_equal(parse(FRAME("7:A\0u\0pw\0,"), &copy, f, 4), 3);
	assert_string_equal(f[0], "A");
	assert_string_equal(f[1], "u");
	assert_string_equal(f[2], "pw");
	free(copy);
	/* An empty password is ended by a final NUL. */
	assert_int_equal(parse(FRAME("5:A\0u\0\0,"), &copy, f, 4), 3);
	assert_string_equal(f[1], "u");
	assert_string_equal(f[2], "");
	free(copy);
	assert_int_equal(parse(FRAME("7:N\0close,"), &copy, f, 3), 2);
	assert_string_equal(f[1], "close");
	free(copy);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].s, bad[i].n, &copy, f, 4), -1);
		free(copy);
	}
}

/* The monitor's verdict on each frame the login process can send. */
static void
test_take(void **state)
{
	struct chan_msg	 m;
	const char	*why;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.f[0] = (char *)"A";
	m.f[1] = (char *)"alice";
	m.f[2] = (char *)"secret";
	m.nf = 3;
	assert_int_equal(login_split_take(1, &m, 0, 0, &why), 1);
	why = NULL;
	assert_int_equal(login_split_take(1, &m, 1, 0, &why), -1);
	assert_non_null(why);
	/* after "close": more credentials are a subverted login process */
	assert_int_equal(login_split_take(1, &m, 0, 1, &why), -1);
	/* a descriptor with credentials: the login process never sends one */
	m.nfds = 1;
	m.fds[0] = -1;
	assert_int_equal(login_split_take(1, &m, 0, 0, &why), -1);
	m.nfds = 0;
	m.nf = 2;
	assert_int_equal(login_split_take(1, &m, 0, 0, &why), -1);
	m.nf = 4;
	m.f[3] = (char *)"x";
	assert_int_equal(login_split_take(1, &m, 0, 0, &why), -1);
	m.nf = 3;
	m.f[0] = (char *)"K";
	assert_int_equal(login_split_take(1, &m, 0, 0, &why), -1);
	/* end of file; a frame the channel refused */
	assert_int_equal(login_split_take(0, &m, 0, 0, &why), 0);
	assert_int_equal(login_split_take(-1, &m, 0, 0, &why), -1);
}

extern char **environ;

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_login),
		cmocka_unit_test(test_bad_logins),
		cmocka_unit_test(test_malformed_frames_kill),
		cmocka_unit_test(test_parse_frames),
		cmocka_unit_test(test_take),
	};

	setproctitle_init(argc, argv, environ);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
