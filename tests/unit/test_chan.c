/*
 * Unit tests for lib/ipc/chan.c: frames of fields with and without
 * descriptors over SOCK_SEQPACKET, the descriptors usable and
 * close-on-exec on arrival; each channel's limit on both sides; end of
 * file; "nothing yet" on an empty non-blocking socket; the malformed
 * packets a receiver refuses with EBADMSG (not a netstring, too long,
 * trailing bytes, too many descriptors, a descriptor without data, no
 * field), closing what came with them; streams: frames split across
 * reads, several in one read, a frame cut by end of file, the queue of a
 * non-blocking writer; chan_parse on its own; number fields (digits
 * only, no sign, space or leading zero, within bounds); and the child helper's
 * descriptor layout and self-pipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "log.h"

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
test_frame_with_fds(void **state)
{
	struct chan	 a, b;
	struct chan_msg	 m;
	const char	*f[3] = { "C", "1", "0" };
	int		 sv[2], p[2], q[2], fds[2];
	char		 c;

	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	chan_init(&a, sv[0], CHAN_PACKET, CHAN_SMALL_MAX);
	chan_init(&b, sv[1], CHAN_PACKET, CHAN_SMALL_MAX);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	fds[0] = p[1];
	fds[1] = q[1];
	assert_int_equal(chan_send(&a, f, 3, fds, 2), 0);
	close(p[1]);
	close(q[1]);
	assert_int_equal(chan_recv(&b, &m), 1);
	assert_int_equal(m.nf, 3);
	assert_string_equal(m.f[0], "C");
	assert_string_equal(m.f[1], "1");
	assert_string_equal(m.f[2], "0");
	assert_int_equal(m.nfds, 2);
	assert_true(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC);
	/* the descriptors are the pipes' write ends, in order */
	assert_int_equal(write(m.fds[0], "x", 1), 1);
	assert_int_equal(write(m.fds[1], "y", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(read(q[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	chan_msg_close_fds(&m);
	assert_int_equal(m.nfds, 0);
	close(p[0]);
	close(q[0]);
	/* an empty last field survives */
	f[2] = "";
	assert_int_equal(chan_send(&a, f, 3, NULL, 0), 0);
	assert_int_equal(chan_recv(&b, &m), 1);
	assert_int_equal(m.nf, 3);
	assert_string_equal(m.f[2], "");
	/* end of file */
	chan_close(&a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(chan_recv(&b, &m), 0);
	chan_close(&b);
}

static void
test_limits(void **state)
{
	static char	 big[CHAN_FRAME_MAX + 2];
	struct chan	 a, b, small;
	struct chan_msg	 m;
	const char	*f[CHAN_FIELDS_MAX + 1];
	int		 sv[2], i;

	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	chan_init(&a, sv[0], CHAN_PACKET, 100);
	chan_init(&b, sv[1], CHAN_PACKET, 100);
	memset(big, 'a', sizeof(big) - 1);
	/* exactly the limit; one more is refused before it is sent */
	big[100] = '\0';
	f[0] = big;
	assert_int_equal(chan_send(&a, f, 1, NULL, 0), 0);
	assert_int_equal(chan_recv(&b, &m), 1);
	assert_int_equal(strlen(m.f[0]), 100);
	big[100] = 'a';
	big[101] = '\0';
	errno = 0;
	assert_int_equal(chan_send(&a, f, 1, NULL, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* fields: two of 49 and their NUL is 99; an empty third makes 101 */
	big[49] = '\0';
	f[0] = f[1] = big;
	f[2] = "";
	assert_int_equal(chan_send(&a, f, 2, NULL, 0), 0);
	assert_int_equal(chan_recv(&b, &m), 1);
	errno = 0;
	assert_int_equal(chan_send(&a, f, 3, NULL, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* counts */
	for (i = 0; i <= CHAN_FIELDS_MAX; i++)
		f[i] = "x";
	assert_int_equal(chan_send(&a, f, CHAN_FIELDS_MAX + 1, NULL, 0), -1);
	assert_int_equal(chan_send(&a, f, 0, NULL, 0), -1);
	assert_int_equal(chan_send(&a, f, 1, (int[]){ 0, 0, 0 }, 3), -1);
	assert_int_equal(chan_send(&a, f, CHAN_FIELDS_MAX, NULL, 0), 0);
	assert_int_equal(chan_recv(&b, &m), 1);
	assert_int_equal(m.nf, CHAN_FIELDS_MAX);
	/* a larger sender than receiver: the receiver refuses */
	chan_init(&small, sv[1], CHAN_PACKET, 10);
	a.max = 100;
	big[49] = 'a';
	big[20] = '\0';
	f[0] = big;
	assert_int_equal(chan_send(&a, f, 1, NULL, 0), 0);
	errno = 0;
	assert_int_equal(chan_recv(&small, &m), -1);
	assert_int_equal(errno, EBADMSG);
	/* no limit over CHAN_FRAME_MAX */
	chan_init(&small, -1, CHAN_PACKET, CHAN_FRAME_MAX * 2);
	assert_int_equal(small.max, CHAN_FRAME_MAX);
	chan_close(&a);
	chan_close(&b);
}

static void
test_nonblocking_empty(void **state)
{
	struct chan	 a;
	struct chan_msg	 m;
	int		 sv[2];

	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	chan_init(&a, sv[0], CHAN_PACKET, 0);
	assert_int_equal(chan_recv_nowait(&a, &m), 2);
	chan_close(&a);
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
		char		buf[CMSG_SPACE(3 * sizeof(int))];
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
refused(struct chan *c, int before)
{
	struct chan_msg	 m;

	errno = 0;
	assert_int_equal(chan_recv(c, &m), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(m.nfds, 0);
	assert_int_equal(open_fds(), before);
}

static void
test_malformed_packets(void **state)
{
	static char	 big[CHAN_SMALL_MAX + 50];
	struct chan	 b;
	struct chan_msg	 m;
	int		 sv[2], before;

	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	chan_init(&b, sv[1], CHAN_PACKET, CHAN_SMALL_MAX);
	before = open_fds();
	memset(big, 'b', sizeof(big));
	/* no netstring, with descriptors: refused, the descriptors closed */
	raw_send(sv[0], "C 1 0", 5, 0, 1);
	refused(&b, before);
	/* a netstring over the limit, or cut short by the packet */
	memcpy(big, "300:", 4);
	raw_send(sv[0], big, sizeof(big), 0, 1);
	refused(&b, before);
	raw_send(sv[0], "5:abc", 5, -1, 0);
	refused(&b, before);
	/* bytes after the frame; a missing comma; leading zeros */
	raw_send(sv[0], "1:a,x", 5, -1, 0);
	refused(&b, before);
	raw_send(sv[0], "1:ax", 4, -1, 0);
	refused(&b, before);
	raw_send(sv[0], "01:a,", 5, -1, 0);
	refused(&b, before);
	/* no field at all */
	raw_send(sv[0], "0:,", 3, -1, 0);
	refused(&b, before);
	/* three descriptors */
	raw_send(sv[0], "1:a,", 4, 0, 3);
	refused(&b, before);
	/* a descriptor with no data */
	raw_send(sv[0], NULL, 0, 0, 1);
	refused(&b, before);
	/* too many fields */
	raw_send(sv[0], "17:a\0b\0c\0d\0e\0f\0g\0h\0i,", 21, -1, 0);
	refused(&b, before);
	/* the channel still works after them */
	raw_send(sv[0], "3:E\0003,", 6, -1, 0);
	assert_int_equal(chan_recv(&b, &m), 1);
	assert_int_equal(m.nf, 2);
	assert_string_equal(m.f[0], "E");
	assert_string_equal(m.f[1], "3");
	close(sv[0]);
	chan_close(&b);
}

static void
test_stream(void **state)
{
	struct chan	 w, r;
	struct chan_msg	 m;
	const char	*f[2] = { "R", "ok" };
	int		 p[2], n, i;

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	chan_init(&w, p[1], CHAN_STREAM, 64);
	chan_init(&r, p[0], CHAN_STREAM, 64);
	/* nothing yet; half a frame is kept for the next call */
	assert_int_equal(chan_recv_nowait(&r, &m), 2);
	assert_int_equal(write(p[1], "4:R\0o", 5), 5);
	assert_int_equal(chan_recv_nowait(&r, &m), 2);
	assert_int_equal(write(p[1], "k,", 2), 2);
	assert_int_equal(chan_recv_nowait(&r, &m), 1);
	assert_int_equal(m.nf, 2);
	assert_string_equal(m.f[1], "ok");
	/* several frames queued, written, read one by one */
	for (i = 0; i < 5; i++)
		assert_int_equal(chan_queue(&w, f, 2), 0);
	assert_int_equal(chan_pending(&w), 5 * 7);	/* "4:R\0ok," */
	assert_int_equal(chan_flush(&w), 1);
	assert_int_equal(chan_pending(&w), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(chan_recv_nowait(&r, &m), 1);
	assert_int_equal(chan_recv_nowait(&r, &m), 2);
	/* descriptors never ride a stream */
	assert_int_equal(chan_send(&w, f, 2, &p[0], 1), -1);
	assert_int_equal(errno, EINVAL);
	/* a blocking send, then a frame cut by end of file */
	assert_int_equal(chan_send(&w, f, 2, NULL, 0), 0);
	assert_int_equal(write(p[1], "9:abc", 5), 5);
	chan_close(&w);
	assert_int_equal(chan_recv(&r, &m), 1);
	errno = 0;
	n = chan_recv(&r, &m);
	assert_int_equal(n, -1);
	assert_int_equal(errno, ECONNRESET);
	chan_close(&r);
	/* a frame longer than the reader's limit is refused at its length */
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	chan_init(&r, p[0], CHAN_STREAM, 8);
	assert_int_equal(write(p[1], "100:", 4), 4);
	assert_int_equal(chan_recv_nowait(&r, &m), -1);
	assert_int_equal(errno, EBADMSG);
	close(p[1]);
	chan_close(&r);
}

static void
test_parse(void **state)
{
	char	 d[32], *f[4];

	(void)state;
	memcpy(d, "5:a\0bc\0,", 8);
	assert_int_equal(chan_parse(d, 8, 10, f, 4), 2);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "bc");
	memcpy(d, "5:a\0bc\0,", 8);
	assert_int_equal(chan_parse(d, 8, 4, f, 4), -1);	/* over max */
	assert_int_equal(chan_parse(d, 7, 10, f, 4), -1);	/* cut */
	memcpy(d, "5:a\0b\0c,", 8);
	assert_int_equal(chan_parse(d, 8, 10, f, 2), -1);	/* maxf */
}

static void
test_field_num(void **state)
{
	long long	 v = -1;

	(void)state;
	assert_int_equal(chan_field_num("0", 0, 255, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(chan_field_num("255", 0, 255, &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(chan_field_num("9223372036854775807", 1, LLONG_MAX,
	    &v), 0);
	assert_true(v == LLONG_MAX);
	v = -1;
	assert_int_equal(chan_field_num("256", 0, 255, &v), -1);
	assert_int_equal(chan_field_num("7", 0, 5, &v), -1);
	assert_int_equal(chan_field_num("0", 1, 5, &v), -1);
	assert_int_equal(chan_field_num("9223372036854775808", 1, LLONG_MAX,
	    &v), -1);
	assert_int_equal(chan_field_num("", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("07", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("00", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("+7", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("-0", 0, 9, &v), -1);
	assert_int_equal(chan_field_num(" 7", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("7 ", 0, 9, &v), -1);
	assert_int_equal(chan_field_num("1e3", 0, 9999, &v), -1);
	assert_int_equal(v, -1);
}

static void
test_child_fds(void **state)
{
	int	 p[2], st, fds[3];
	pid_t	 pid;
	char	 c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = child_fork("test-child", CHILD_PDEATH);
	assert_true(pid != -1);
	if (pid == 0) {
		/* the pipe's write end to 1 and 2, wherever it was; 0 null */
		fds[0] = -1;
		fds[1] = p[1];
		fds[2] = p[1];
		if (child_fds(fds, 3) == -1)
			_exit(2);
		if (fcntl(3, F_GETFD) != -1 || fcntl(p[0], F_GETFD) != -1 ||
		    (fcntl(1, F_GETFD) & FD_CLOEXEC) != 0)
			_exit(3);
		if (read(0, &c, 1) != 0 || write(2, "z", 1) != 1)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(p[0]);
}

static void
test_child_sigpipe(void **state)
{
	int	 sigs[4], st, n;
	pid_t	 pid;

	(void)state;
	child_sigpipe((int[]){ SIGCHLD, SIGUSR1 }, 2);
	assert_true(child_sigpipe_fd() >= 0);
	assert_int_equal(child_sigpipe_read(sigs, 4), 0);
	pid = child_fork(NULL, 0);
	assert_true(pid != -1);
	if (pid == 0) {
		/* the parent's pipe is gone, its handlers too */
		struct sigaction sa;

		if (child_sigpipe_fd() != -1 ||
		    sigaction(SIGUSR1, NULL, &sa) == -1 ||
		    sa.sa_handler != SIG_DFL)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	n = child_sigpipe_read(sigs, 4);
	assert_int_equal(n, 2);
	assert_true((sigs[0] == SIGCHLD && sigs[1] == SIGUSR1) ||
	    (sigs[0] == SIGUSR1 && sigs[1] == SIGCHLD));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_with_fds),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nonblocking_empty),
		cmocka_unit_test(test_malformed_packets),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_field_num),
		cmocka_unit_test(test_child_fds),
		cmocka_unit_test(test_child_sigpipe),
	};

	log_init("test_chan", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
