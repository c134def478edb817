/*
 * Unit tests for deliver/lspawn_out.c, what lspawn keeps of a worker's
 * or a local child's output: the first LSPAWN_OUT_MAX octets, at most
 * LSPAWN_OUT_DRAIN octets read at one call (a worker that writes without
 * end cannot hold lspawn in the read loop), the first line without its
 * CRs and with control bytes made '?', every line of a local child, EOF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/ioctl.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lspawn.h"

static struct worker	 w;
static int		 wfd;

static void
start(void)
{
	int	 pp[2];

	assert_int_equal(pipe2(pp, O_NONBLOCK | O_CLOEXEC), 0);
	memset(&w, 0, sizeof(w));
	w.pid = 1;
	w.chan = -1;
	w.outfd = pp[0];
	wfd = pp[1];
}

static void
say(const char *s, size_t n)
{
	assert_int_equal(write(wfd, s, n), (ssize_t)n);
}

static void
test_drain_bound(void **state)
{
	const size_t	 total = 4 * LSPAWN_OUT_DRAIN;
	char		*junk;
	int		 left;

	(void)state;
	start();
	/* room for all of it at once, as a fast writer keeps it full */
	assert_true(fcntl(wfd, F_SETPIPE_SZ, (int)total) >= (int)total);
	assert_non_null(junk = malloc(total));
	memset(junk, 'j', total);
	say(junk, total);
	free(junk);
	worker_out_read(&w);
	assert_int_equal(w.outfd != -1, 1);
	assert_int_equal(w.outlen, LSPAWN_OUT_MAX);
	assert_int_equal(ioctl(w.outfd, FIONREAD, &left), 0);
	assert_int_equal(left, (int)(total - LSPAWN_OUT_DRAIN));
	/* the next calls read on; at EOF the pipe is closed */
	(void)close(wfd);
	while (w.outfd != -1)
		worker_out_read(&w);
	assert_int_equal(w.outlen, LSPAWN_OUT_MAX);
}

static void
test_first_line(void **state)
{
	char	 line[LSPAWN_TEXT_MAX + 1];

	(void)state;
	start();
	say("4.2.2 \x1b[1mover\x7f quota\r\r\nsecond\n", 32);
	assert_int_equal(worker_out_line(&w, line, sizeof(line)), 1);
	assert_string_equal(line, "4.2.2 ?[1mover? quota");
	assert_int_equal(w.outlen, 0);
	/* nothing more said; an empty first line is nothing */
	assert_int_equal(worker_out_line(&w, line, sizeof(line)), 0);
	say("\r\nlater\n", 8);
	assert_int_equal(worker_out_line(&w, line, sizeof(line)), 0);
	/* cut to the buffer; a NUL ends the line */
	say("abcdefgh\0ij\n", 12);
	assert_int_equal(worker_out_line(&w, line, 5), 1);
	assert_string_equal(line, "abcd");
	(void)close(wfd);
	worker_out_read(&w);
	assert_int_equal(w.outfd, -1);
}

static char	 seen[8][64];
static int	 nseen;

static void
collect(void *arg, const char *line)
{
	(void)arg;
	assert_true(nseen < 8 && strlen(line) < 64);
	strlcpy(seen[nseen++], line, sizeof(seen[0]));
}

static void
test_lines(void **state)
{
	(void)state;
	start();
	say("procmail: ok\n\n\ta\x01\nlast\0hidden\nnot logged\n", 41);
	nseen = 0;
	worker_out_lines(&w, collect, NULL);
	assert_int_equal(nseen, 3);
	assert_string_equal(seen[0], "procmail: ok");
	assert_string_equal(seen[1], "?a?");
	assert_string_equal(seen[2], "last");
	assert_int_equal(w.outlen, 0);
	(void)close(wfd);
	nseen = 0;
	worker_out_lines(&w, collect, NULL);
	assert_int_equal(nseen, 0);
	assert_int_equal(w.outfd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_bound),
		cmocka_unit_test(test_first_line),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
