/*
 * Unit tests for the keeper's verdict on what queued sends it
 * (queue/queued_keeper.c, keeper_take): [S] with a pipe's read end and a
 * pipe's write end starts lspawn; the two swapped, a socket, a file, one
 * descriptor or three, another frame, or a frame the channel refused end
 * the keeper; end of file is the end.  [C] with a sealed memfd (what
 * queued sends) or a regular file open read-only is the configuration
 * for the next lspawn; a writable memfd or file, /dev/null, a pipe, a
 * socket, no descriptor or two end the keeper.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"
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

static void
test_take_conf(void **state)
{
	const char	 text[] = "queue_dir /var/spool/facteur\n";
	char		 path[64], tmp[] = "/tmp/test_queued_keeper.XXXXXX";
	int		 sealed, open_memfd, ro, rw, wo, reg, jp[2], null;

	(void)state;
	assert_true((sealed = conf_text_fd(text, sizeof(text) - 1)) != -1);
	assert_true((open_memfd = memfd_create("t", 0)) != -1);
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", open_memfd);
	/* the same memfd, unsealed, open read-only: nobody writes through it */
	assert_true((ro = open(path, O_RDONLY)) != -1);
	assert_true((wo = open(path, O_WRONLY)) != -1);
	assert_true((reg = mkstemp(tmp)) != -1);
	assert_int_equal(unlink(tmp), 0);
	assert_true((rw = dup(reg)) != -1);
	assert_int_equal(pipe(jp), 0);
	assert_true((null = open("/dev/null", O_RDONLY)) != -1);

	assert_int_equal(take("C", 1, sealed, -1, 1), 2);
	assert_int_equal(take("C", 1, ro, -1, 1), 2);
	assert_int_equal(take("C", 1, open_memfd, -1, 1), -1);
	assert_int_equal(take("C", 1, wo, -1, 1), -1);
	assert_int_equal(take("C", 1, rw, -1, 1), -1);
	assert_int_equal(take("C", 1, null, -1, 1), -1);
	assert_int_equal(take("C", 1, jp[0], -1, 1), -1);
	assert_int_equal(take("C", 1, sealed, -1, 0), -1);
	assert_int_equal(take("C", 1, sealed, sealed, 2), -1);
	assert_int_equal(take("C", 2, sealed, -1, 1), -1);
	/* [S] with the configuration instead of a pipe */
	assert_int_equal(take("S", 1, sealed, jp[1], 2), -1);
	(void)close(sealed);
	(void)close(open_memfd);
	(void)close(ro);
	(void)close(wo);
	(void)close(rw);
	(void)close(reg);
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(null);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
