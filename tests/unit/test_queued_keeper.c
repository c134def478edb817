/*
 * Unit tests for the keeper's verdict on what queued sends it
 * (queue/queued_keeper.c, keeper_take): [S] with a pipe's read end and a
 * pipe's write end starts lspawn; the two swapped, a socket, a file, one
 * descriptor or three, another frame, or a frame the channel refused end
 * the keeper; end of file is the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "queued.h"

static struct chan_msg	 msg;

static int
take(const char *name, int nf, int a, int b, int nfds)
{
	memset(&msg, 0, sizeof(msg));
	msg.f[0] = (char *)name;
	msg.f[1] = (char *)"x";
	msg.nf = nf;
	msg.fds[0] = a;
	msg.fds[1] = b;
	msg.nfds = nfds;
	return keeper_take(1, &msg);
}

static void
test_take(void **state)
{
	int	 jp[2], rp[2], sv[2], null;

	(void)state;
	assert_int_equal(pipe(jp), 0);
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true((null = open("/dev/null", O_RDWR)) != -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 2), 1);
	assert_int_equal(take("S", 1, rp[1], jp[0], 2), -1);
	assert_int_equal(take("S", 1, jp[1], rp[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], rp[0], 2), -1);
	assert_int_equal(take("S", 1, sv[0], rp[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], sv[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], null, 2), -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 1), -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 0), -1);
	assert_int_equal(take("S", 2, jp[0], rp[1], 2), -1);
	assert_int_equal(take("R", 1, jp[0], rp[1], 2), -1);
	/* end of file; a frame the channel refused */
	assert_int_equal(keeper_take(0, &msg), 0);
	assert_int_equal(keeper_take(-1, &msg), -1);
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(rp[0]);
	(void)close(rp[1]);
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(null);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
