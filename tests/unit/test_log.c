/*
 * Unit tests for lib/base/log.c: log_sanitize (CR, LF, the other control
 * bytes and DEL replaced, bytes >= 0x80 kept, the size bound honoured),
 * and the stderr output: one line per call whatever the message holds,
 * log_warn's strerror suffix, debug on and off, errno kept, fatal's exit;
 * with syslog and log_tee_stderr, warnings (not info) also on stderr,
 * sanitized, and never waited for when stderr is a full pipe; the log
 * file (log_file): rsyslog's form, the tag facteur/NAME, log_info_as's
 * other tag, the file refused when it has two links, is writable by
 * others or is a symbolic link, kept across child_fds, and never written
 * through a descriptor number that came to name another file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

static void
test_sanitize_controls(void **state)
{
	char	 out[64], in[40];
	int	 c;

	(void)state;
	log_sanitize(out, "from=<a@b>\r\nRCPT TO:<x>", sizeof(out));
	assert_string_equal(out, "from=<a@b>??RCPT TO:<x>");
	log_sanitize(out, "a\tb\x1b[31mc\x7f" "d", sizeof(out));
	assert_string_equal(out, "a?b?[31mc?d");
	/* every byte 0x01..0x1f and 0x7f becomes '?' */
	for (c = 1; c < 0x20; c++) {
		in[0] = 'x';
		in[1] = (char)c;
		in[2] = '\0';
		log_sanitize(out, in, sizeof(out));
		assert_string_equal(out, "x?");
	}
	log_sanitize(out, "\x7f", sizeof(out));
	assert_string_equal(out, "?");
	/* printable ASCII and UTF-8 bytes are kept */
	log_sanitize(out, " ~azAZ09 caf\xc3\xa9 \xff", sizeof(out));
	assert_string_equal(out, " ~azAZ09 caf\xc3\xa9 \xff");
	/* the output never contains a control byte */
	for (c = 0; out[c] != '\0'; c++)
		assert_true((unsigned char)out[c] >= 0x20 &&
		    (unsigned char)out[c] != 0x7f);
}

static void
test_sanitize_bounds(void **state)
{
	char	 out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	log_sanitize(out, "0123456789", sizeof(out));
	assert_string_equal(out, "0123456");		/* n-1 and a NUL */
	memset(out, 'Z', sizeof(out));
	log_sanitize(out, "", sizeof(out));
	assert_string_equal(out, "");
	memset(out, 'Z', sizeof(out));
	log_sanitize(out, "abc", 1);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');
	memset(out, 'Z', sizeof(out));
	log_sanitize(out, "abc", 0);			/* nothing written */
	assert_int_equal(out[0], 'Z');
}

/* Runs fn with stderr on a pipe; returns what it wrote and its status. */
static char *
capture(void (*fn)(void), int *status)
{
	static char	 got[4096];
	pid_t		 pid;
	ssize_t		 r;
	size_t		 n = 0;
	int		 p[2];

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(99);
		log_init("test_log", 1);
		fn();
		_exit(0);
	}
	close(p[1]);
	while ((r = read(p[0], got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return got;
}

static int
count_lines(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
emit_info(void)
{
	log_info("%s: from=<%s>, size=%zu", "0123456789ABCD",
	    "evil\r\nFAKE: line", (size_t)42);
}

static void
test_info_one_line(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_info, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(count_lines(got), 1);
	assert_non_null(strstr(got, "test_log["));
	assert_non_null(strstr(got,
	    "0123456789ABCD: from=<evil??FAKE: line>, size=42\n"));
}

static void
emit_warn(void)
{
	errno = ENOENT;
	log_warn("open %s", "/x");
	if (errno != ENOENT)		/* logging keeps errno */
		_exit(5);
	log_warnx("plain");
}

static void
test_warn(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_warn, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(count_lines(got), 2);
	assert_non_null(strstr(got, "open /x: No such file or directory\n"));
	assert_non_null(strstr(got, "plain\n"));
}

static void
emit_debug(void)
{
	log_debug("hidden %d", 1);
	log_set_debug(1);
	log_debug("shown %d", 2);
	log_set_debug(0);
	log_debug("hidden %d", 3);
}

static void
test_debug(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_debug, &status);
	assert_int_equal(count_lines(got), 1);
	assert_non_null(strstr(got, "shown 2\n"));
	assert_null(strstr(got, "hidden"));
}

static void
emit_long(void)
{
	char	 big[10000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[5000] = '\n';
	log_info("x=%s", big);
}

static void
test_long_message(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_long, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(count_lines(got), 1);	/* cut, never split */
}

static void
emit_fatal(void)
{
	errno = EACCES;
	fatal("cannot %s", "start");
}

static void
emit_fatalx(void)
{
	fatalx("bad config line %d", 7);
}

static void
test_fatal(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_fatal, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 111);
	assert_non_null(strstr(got, "cannot start: Permission denied\n"));
	got = capture(emit_fatalx, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 111);
	assert_non_null(strstr(got, "bad config line 7\n"));
}

/* With syslog: the tee puts warnings, not info, on stderr. */
static void
emit_tee(void)
{
	log_init("test_tee", 0);
	log_tee_stderr(1);
	log_info("not on stderr");
	log_warnx("refused: %s", "bad\nthing");
}

static void
test_tee(void **state)
{
	char	*got;
	int	 status;

	(void)state;
	got = capture(emit_tee, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(got, "test_tee: refused: bad?thing\n");
}

/* A full pipe on stderr: the line is dropped, the caller not held. */
static void
test_tee_never_waits(void **state)
{
	char	 fill[4096];
	pid_t	 pid;
	int	 p[2], status;

	(void)state;
	memset(fill, 'x', sizeof(fill));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		(void)close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1 ||
		    fcntl(STDERR_FILENO, F_SETFL, O_NONBLOCK) == -1)
			_exit(99);
		while (write(STDERR_FILENO, fill, sizeof(fill)) > 0)
			;
		if (fcntl(STDERR_FILENO, F_SETFL, 0) == -1)
			_exit(98);
		log_init("test_tee", 0);
		log_tee_stderr(1);
		log_warnx("this would block");
		_exit(0);
	}
	(void)close(p[1]);
	/* nobody reads: the child must exit on its own */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	(void)close(p[0]);
}

/* A log file in a fresh directory; its path in out. */
static void
log_tmp(char *out, size_t n)
{
	char	 dir[] = "/tmp/test_log.XXXXXX";
	int	 fd;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(out, n, "%s/maillog", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	close(fd);
}

static char *
slurp(const char *path)
{
	static char	 buf[8192];
	ssize_t		 n;
	int		 fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void
file_child(const char *path)
{
	log_init("queued", 0);
	if (log_file_open(path, "mx.example", -1) != 0)
		_exit(2);
	log_info("%s: removed", "0123456789ABCD");
	log_info_as("pickup", "%s: uid=1000 from=<a@b>", "0123456789ABCD");
	log_warnx("a\nforged line");
	_exit(0);
}

static void
test_file(void **state)
{
	char	 path[64], link2[80], *got;
	pid_t	 pid;
	int	 st;

	(void)state;
	log_tmp(path, sizeof(path));
	if ((pid = fork()) == 0)
		file_child(path);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	got = slurp(path);
	assert_int_equal(count_lines(got), 3);
	/* 2026-12-07T10:11:12.123456+01:00 mx.example facteur/queued[1]: */
	assert_true(strlen(got) > 40 && got[4] == '-' && got[10] == 'T' &&
	    got[19] == '.' && (got[26] == '+' || got[26] == '-'));
	assert_non_null(strstr(got, " mx.example facteur/queued["));
	assert_non_null(strstr(got, "]: 0123456789ABCD: removed\n"));
	assert_non_null(strstr(got, " facteur/pickup["));
	assert_non_null(strstr(got, "]: a?forged line\n"));
	/* refused: two links, writable by others, a symbolic link */
	(void)snprintf(link2, sizeof(link2), "%s.2", path);
	assert_int_equal(link(path, link2), 0);
	assert_int_equal(log_file_open(path, "h", -1), -1);
	assert_int_equal(unlink(link2), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(log_file_open(path, "h", -1), -1);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(symlink(path, link2), 0);
	assert_int_equal(log_file_open(link2, "h", -1), -1);
	assert_int_equal(log_file_open("relative", "h", -1), -1);
	unlink(link2);
	unlink(path);
}

/*
 * A child that lays out its descriptors keeps the log file; one that
 * closes it and opens another file under the same number never logs
 * into that file.
 */
static void
test_file_children(void **state)
{
	char	 path[64], other[80], *got;
	pid_t	 pid;
	int	 st, fd, lf;

	(void)state;
	log_tmp(path, sizeof(path));
	(void)snprintf(other, sizeof(other), "%s.other", path);
	if ((pid = fork()) == 0) {
		const int fds[3] = { 0, 1, 2 };

		log_init("lspawn", 0);
		if (log_file_open(path, "h", -1) != 0 ||
		    child_fds(fds, 3) != 0 || log_file_fd() != 3)
			_exit(2);
		log_info("kept");
		lf = log_file_fd();
		close(lf);
		fd = open(other, O_WRONLY | O_CREAT, 0600);
		if (fd != lf)
			_exit(3);
		log_info("never in the other file");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	got = slurp(path);
	assert_non_null(strstr(got, "]: kept\n"));
	assert_null(strstr(got, "never"));
	assert_string_equal(slurp(other), "");
	unlink(other);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_controls),
		cmocka_unit_test(test_sanitize_bounds),
		cmocka_unit_test(test_info_one_line),
		cmocka_unit_test(test_warn),
		cmocka_unit_test(test_debug),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_tee),
		cmocka_unit_test(test_tee_never_waits),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_children),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
