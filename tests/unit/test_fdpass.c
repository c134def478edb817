/*
 * Unit tests for lib/ipc/fdpass.c: a packet with and without a descriptor,
 * the descriptor usable and close-on-exec on arrival, lengths refused on
 * sending, end of file, EAGAIN on an empty non-blocking socket, and the
 * malformed packets a receiver refuses with EBADMSG (too long, two
 * descriptors, a descriptor without data), closing what came with them;
 * the _max variants (lspawn's jobs) with their own limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fdpass.h"

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
}

static int
open_fds(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static void
test_packet_with_fd(void **state)
{
	char	 buf[FDPASS_DATA_MAX + 1], c;
	int	 sv[2], p[2], fd;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fdpass_send(sv[0], "C 1 0", 5, p[1], 0), 0);
	close(p[1]);
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), 5);
	assert_string_equal(buf, "C 1 0");
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* the descriptor is the pipe's write end */
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	close(fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_packet_without_fd_and_eof(void **state)
{
	char	 buf[FDPASS_DATA_MAX + 1], big[FDPASS_DATA_MAX];
	int	 sv[2], fd = 7;

	(void)state;
	pair(sv);
	memset(big, 'a', sizeof(big));
	assert_int_equal(fdpass_send(sv[1], big, sizeof(big), -1, 0), 0);
	assert_int_equal(fdpass_recv(sv[0], buf, sizeof(buf), &fd),
	    FDPASS_DATA_MAX);
	assert_int_equal(fd, -1);
	assert_int_equal(strlen(buf), FDPASS_DATA_MAX);
	close(sv[1]);
	assert_int_equal(fdpass_recv(sv[0], buf, sizeof(buf), &fd), 0);
	assert_int_equal(fd, -1);
	close(sv[0]);
}

static void
test_send_refuses_bad_lengths(void **state)
{
	char	 big[FDPASS_DATA_MAX + 1];
	int	 sv[2];

	(void)state;
	pair(sv);
	memset(big, 'a', sizeof(big));
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], big, 0, -1, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], big, sizeof(big), -1, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

static void
test_nonblocking_empty_and_small_buffer(void **state)
{
	char	 buf[FDPASS_DATA_MAX + 1];
	int	 sv[2], fd;

	(void)state;
	pair(sv);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[0], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EAGAIN);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[0], buf, 10, &fd), -1);
	assert_int_equal(errno, EINVAL);
	close(sv[0]);
	close(sv[1]);
}

/* Sends a raw packet of len bytes with nfd descriptors (fd repeated). */
static void
raw_send(int sock, const char *data, size_t len, int fd, int nfd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	int		 i;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = len > 0 ? 1 : 0;
	if (nfd > 0) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		for (i = 0; i < nfd; i++)
			memcpy(CMSG_DATA(c) + (size_t)i * sizeof(int), &fd,
			    sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static void
test_malformed_packets(void **state)
{
	char	 buf[FDPASS_DATA_MAX + 1], big[FDPASS_DATA_MAX + 50];
	int	 sv[2], fd, before;

	(void)state;
	pair(sv);
	before = open_fds();
	memset(big, 'b', sizeof(big));
	/* too long, with a descriptor: refused, the descriptor closed */
	raw_send(sv[0], big, sizeof(big), 0, 1);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(fd, -1);
	assert_int_equal(open_fds(), before);
	/* two descriptors */
	raw_send(sv[0], "C 1 0", 5, 0, 2);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(open_fds(), before);
	/* a descriptor with no data */
	raw_send(sv[0], NULL, 0, 0, 1);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(open_fds(), before);
	/* the socket still works after them */
	assert_int_equal(fdpass_send(sv[0], "E 3", 3, -1, 0), 0);
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof(buf), &fd), 3);
	assert_string_equal(buf, "E 3");
	close(sv[0]);
	close(sv[1]);
}

/* Long packets: up to the given max, never more, never past the cap. */
static void
test_max_variants(void **state)
{
	static char	 buf[FDPASS_LONG_MAX + 1], big[FDPASS_LONG_MAX + 1];
	char		 small[FDPASS_DATA_MAX + 1];
	int		 sv[2], p[2], fd, before;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	before = open_fds();
	memset(big, 'c', sizeof(big));
	/* 8000 octets and a descriptor, where fdpass_send stops at 256 */
	assert_int_equal(fdpass_send_max(sv[0], big, 8000, 8192, p[1], 0), 0);
	assert_int_equal(fdpass_recv_max(sv[1], buf, 8192, &fd), 8000);
	assert_int_equal(strlen(buf), 8000);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(open_fds(), before);
	/* exactly max is fine; max + 1 is refused on both sides */
	assert_int_equal(fdpass_send_max(sv[0], big, 8192, 8192, -1, 0), 0);
	assert_int_equal(fdpass_recv_max(sv[1], buf, 8192, &fd), 8192);
	errno = 0;
	assert_int_equal(fdpass_send_max(sv[0], big, 8193, 8192, -1, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(fdpass_send_max(sv[0], big, 8193, 9000, p[1], 0), 0);
	errno = 0;
	assert_int_equal(fdpass_recv_max(sv[1], buf, 8192, &fd), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(fd, -1);
	assert_int_equal(open_fds(), before);
	/* a long packet is refused by the short receiver */
	assert_int_equal(fdpass_send_max(sv[0], big, 300, 8192, -1, 0), 0);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], small, sizeof(small), &fd), -1);
	assert_int_equal(errno, EBADMSG);
	/* limits of the limits */
	errno = 0;
	assert_int_equal(fdpass_send_max(sv[0], big, FDPASS_LONG_MAX + 1,
	    FDPASS_LONG_MAX + 1, -1, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(fdpass_recv_max(sv[1], buf, 0, &fd), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(fdpass_recv_max(sv[1], buf, FDPASS_LONG_MAX + 1,
	    &fd), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fdpass_send_max(sv[0], big, FDPASS_LONG_MAX,
	    FDPASS_LONG_MAX, -1, 0), 0);
	assert_int_equal(fdpass_recv_max(sv[1], buf, FDPASS_LONG_MAX, &fd),
	    FDPASS_LONG_MAX);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_with_fd),
		cmocka_unit_test(test_packet_without_fd_and_eof),
		cmocka_unit_test(test_send_refuses_bad_lengths),
		cmocka_unit_test(test_nonblocking_empty_and_small_buffer),
		cmocka_unit_test(test_malformed_packets),
		cmocka_unit_test(test_max_variants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
