/*
 * Unit tests for lib/base/lineio.c over a socketpair (and a pipe): line endings,
 * NUL and bare CR inside lines, the length limit at max and max+1, the
 * discard of an over-long line and its bound (LINE_OVERFLOW), EOF and
 * partial lines, timeouts against a silent peer, the whole-line deadline
 * against a dribbling one, the connection's deadline and its grace, raw reads after lines, discard_input, buffered writes, and
 * a plugged-in transport that holds bytes poll() cannot see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "lineio.h"

#define TMO	100	/* ms: every test that waits is short */

struct fixture {
	int		 sv[2];	/* sv[0]: lineio's side, sv[1]: the peer */
	struct lineio	 l;
	struct buf	 line;
};

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, f->sv) == -1) {
		free(f);
		return -1;
	}
	lineio_init(&f->l, f->sv[0], f->sv[0], TMO);
	buf_init(&f->line, 1 << 20);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	lineio_free(&f->l);
	buf_free(&f->line);
	if (f->sv[0] != -1)
		close(f->sv[0]);
	if (f->sv[1] != -1)
		close(f->sv[1]);
	free(f);
	return 0;
}

static void
peer_send(struct fixture *f, const void *p, size_t n)
{
	assert_int_equal(fd_write_full(f->sv[1], p, n), 0);
}

static void
peer_close(struct fixture *f)
{
	assert_int_equal(shutdown(f->sv[1], SHUT_WR), 0);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
expect_line(struct fixture *f, size_t max, const char *want, size_t wlen,
    int wcrlf)
{
	int	 crlf = -1;

	assert_int_equal(lineio_read(&f->l, &f->line, max, &crlf), LINE_OK);
	assert_int_equal(f->line.len, wlen);
	assert_memory_equal(f->line.data, want, wlen);
	assert_int_equal(crlf, wcrlf);
}

static void
test_endings(void **state)
{
	struct fixture	*f = *state;
	const char	 in[] = "HELO a\r\nbare\n\r\nx\ry\r\nz\r\r\n\n";
	int		 crlf;

	peer_send(f, in, sizeof(in) - 1);
	peer_close(f);
	expect_line(f, 100, "HELO a\r\n", 8, 1);
	expect_line(f, 100, "bare\n", 5, 0);
	expect_line(f, 100, "\r\n", 2, 1);
	/* a bare CR inside a line is just a byte */
	expect_line(f, 100, "x\ry\r\n", 5, 1);
	expect_line(f, 100, "z\r\r\n", 4, 1);
	expect_line(f, 100, "\n", 1, 0);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf), LINE_EOF);
	assert_int_equal(f->line.len, 0);
	/* EOF stays EOF */
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf), LINE_EOF);
}

static void
test_nul_inside(void **state)
{
	struct fixture	*f = *state;
	const char	 in[] = "MAIL\0FROM:<a>\r\n\0\n";

	peer_send(f, in, sizeof(in) - 1);
	expect_line(f, 100, "MAIL\0FROM:<a>\r\n", 15, 1);
	expect_line(f, 100, "\0\n", 2, 0);
}

static void
test_max_lengths(void **state)
{
	struct fixture	*f = *state;
	char		 l1[64], l2[65];
	int		 crlf;

	/* exactly max (64, CRLF included) is accepted */
	memset(l1, 'a', sizeof(l1));
	l1[62] = '\r';
	l1[63] = '\n';
	peer_send(f, l1, sizeof(l1));
	expect_line(f, 64, l1, 64, 1);
	/* max + 1 is refused, and the next line still reads right */
	memset(l2, 'b', sizeof(l2));
	l2[63] = '\r';
	l2[64] = '\n';
	peer_send(f, l2, sizeof(l2));
	peer_send(f, "NEXT\r\n", 6);
	assert_int_equal(lineio_read(&f->l, &f->line, 64, &crlf), LINE_TOOLONG);
	assert_int_equal(f->line.len, 0);
	expect_line(f, 64, "NEXT\r\n", 6, 1);
	/* a bare-LF line of max bytes, then max+1 */
	peer_send(f, l1 + 1, 63);
	expect_line(f, 63, l1 + 1, 63, 1);
	peer_send(f, l2 + 1, 64);
	assert_int_equal(lineio_read(&f->l, &f->line, 63, &crlf), LINE_TOOLONG);
}

static void
test_toolong_across_buffers(void **state)
{
	struct fixture	*f = *state;
	char		*big;
	size_t		 n = 3 * LINEIO_RBUF + 17;
	pid_t		 pid;
	int		 crlf, status;

	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n - 1] = '\n';
	/* the writer is a child: the line is larger than the socket buffer */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (fd_write_full(f->sv[1], big, n) == -1 ||
		    fd_write_full(f->sv[1], "QUIT\r\n", 6) == -1)
			_exit(1);
		_exit(0);
	}
	free(big);
	assert_int_equal(lineio_read(&f->l, &f->line, 1000, &crlf),
	    LINE_TOOLONG);
	expect_line(f, 1000, "QUIT\r\n", 6, 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(f->line.cap <= 1001 + 64);	/* never grew past max */
}

static void
test_toolong_at_eof(void **state)
{
	struct fixture	*f = *state;
	int		 crlf;

	peer_send(f, "0123456789", 10);
	peer_close(f);
	assert_int_equal(lineio_read(&f->l, &f->line, 5, &crlf), LINE_TOOLONG);
	assert_int_equal(lineio_read(&f->l, &f->line, 5, &crlf), LINE_EOF);
}

static void
test_partial(void **state)
{
	struct fixture	*f = *state;
	int		 crlf;

	peer_send(f, "one\r\ntwo\r", 9);
	peer_close(f);
	expect_line(f, 100, "one\r\n", 5, 1);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_PARTIAL);
	assert_int_equal(f->line.len, 4);
	assert_memory_equal(f->line.data, "two\r", 4);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf), LINE_EOF);
}

static void
test_line_buffer_limit(void **state)
{
	struct fixture	*f = *state;
	struct buf	 small;
	int		 crlf;

	/* the line buffer's own max binds like max does */
	buf_init(&small, 8);
	peer_send(f, "0123456789\r\nok\r\n", 16);
	assert_int_equal(lineio_read(&f->l, &small, 100, &crlf), LINE_TOOLONG);
	assert_int_equal(lineio_read(&f->l, &small, 100, &crlf), LINE_OK);
	assert_int_equal(small.len, 4);
	buf_free(&small);
}

static void
test_timeout(void **state)
{
	struct fixture	*f = *state;
	long long	 t0, dt;
	char		 c;
	int		 crlf;

	t0 = now_ms();
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_TIMEOUT);
	dt = now_ms() - t0;
	assert_true(dt >= TMO - 5);
	assert_true(dt < 2000);

	/* a partial line then silence is a timeout too */
	peer_send(f, "HEL", 3);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_TIMEOUT);

	/* raw reads time out with ETIMEDOUT */
	errno = 0;
	assert_int_equal(lineio_read_raw(&f->l, &c, 1), -1);
	assert_int_equal(errno, ETIMEDOUT);
}

static void
test_raw_after_lines(void **state)
{
	struct fixture	*f = *state;
	const char	 in[] = "BDAT 10 LAST\r\n\0\r\n.\n\xff\x01zz\nRSET\r\n";
	char		 raw[10];
	size_t		 got = 0;
	ssize_t		 r;
	int		 crlf;

	peer_send(f, in, sizeof(in) - 1);
	expect_line(f, 100, "BDAT 10 LAST\r\n", 14, 1);
	assert_int_equal(lineio_buffered(&f->l), sizeof(in) - 1 - 14);
	while (got < sizeof(raw)) {
		r = lineio_read_raw(&f->l, raw + got, sizeof(raw) - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(raw, "\0\r\n.\n\xff\x01zz\n", 10);
	expect_line(f, 100, "RSET\r\n", 6, 1);
	assert_int_equal(lineio_buffered(&f->l), 0);

	/* raw read with nothing buffered goes to the socket */
	peer_send(f, "abc", 3);
	r = lineio_read_raw(&f->l, raw, sizeof(raw));
	assert_int_equal(r, 3);
	assert_memory_equal(raw, "abc", 3);
	/* and 0 at EOF */
	peer_close(f);
	assert_int_equal(lineio_read_raw(&f->l, raw, sizeof(raw)), 0);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf), LINE_EOF);
}

static void
test_raw_small_reads(void **state)
{
	struct fixture	*f = *state;
	char		 c, two[8];

	peer_send(f, "L\nxyz", 5);
	expect_line(f, 100, "L\n", 2, 0);
	assert_int_equal(lineio_read_raw(&f->l, &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(lineio_read_raw(&f->l, &c, 0), 0);
	assert_int_equal(lineio_buffered(&f->l), 2);
	/* a request larger than what is buffered gets only the buffer */
	assert_int_equal(lineio_read_raw(&f->l, two, sizeof(two)), 2);
	assert_memory_equal(two, "yz", 2);
	assert_int_equal(lineio_buffered(&f->l), 0);
}

static void
test_discard_input(void **state)
{
	struct fixture	*f = *state;
	int		 crlf;

	/* STARTTLS with plaintext pipelined behind it */
	peer_send(f, "STARTTLS\r\nMAIL FROM:<evil>\r\n", 28);
	expect_line(f, 100, "STARTTLS\r\n", 10, 1);
	assert_int_equal(lineio_buffered(&f->l), 18);
	lineio_discard_input(&f->l);
	assert_int_equal(lineio_buffered(&f->l), 0);
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_TIMEOUT);
	peer_send(f, "EHLO x\r\n", 8);
	expect_line(f, 100, "EHLO x\r\n", 8, 1);
}

static void
peer_expect(struct fixture *f, const char *want, size_t n)
{
	char	 got[256];

	assert_true(n <= sizeof(got));
	assert_int_equal(fd_read_full(f->sv[1], got, n), (ssize_t)n);
	assert_memory_equal(got, want, n);
}

static void
test_write_flush(void **state)
{
	struct fixture	*f = *state;
	char		 c;

	assert_int_equal(lineio_write(&f->l, "220 hi\r\n", 8), 0);
	assert_int_equal(lineio_printf(&f->l, "250-%s\r\n250 %d\r\n", "x",
	    42), 0);
	/* nothing is sent before the flush */
	assert_int_equal(recv(f->sv[1], &c, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	assert_int_equal(lineio_flush(&f->l), 0);
	assert_int_equal(f->l.wbuf.len, 0);
	peer_expect(f, "220 hi\r\n250-x\r\n250 42\r\n", 23);
	/* an empty flush is fine */
	assert_int_equal(lineio_flush(&f->l), 0);
	/* binary output with NUL */
	assert_int_equal(lineio_write(&f->l, "a\0b", 3), 0);
	assert_int_equal(lineio_flush(&f->l), 0);
	peer_expect(f, "a\0b", 3);
}

/* Child: reads everything from fd and exits 0 if it is n bytes of pattern. */
static pid_t
spawn_reader(int fd, int other, size_t n)
{
	pid_t	 pid;
	char	 b[8192];
	size_t	 got = 0, i;
	ssize_t	 r;

	pid = fork();
	if (pid != 0)
		return pid;
	close(other);
	while ((r = read(fd, b, sizeof(b))) > 0) {
		for (i = 0; i < (size_t)r; i++)
			if (b[i] != (char)('a' + (got + i) % 26))
				_exit(2);
		got += (size_t)r;
	}
	_exit(r == 0 && got == n ? 0 : 1);
}

static void
test_write_large(void **state)
{
	struct fixture	*f = *state;
	size_t		 n = 5 * 1024 * 1024 + 3, i, off;
	char		*big;
	pid_t		 pid;
	int		 status;

	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	f->l.timeout_ms = 5000;
	pid = spawn_reader(f->sv[1], f->sv[0], n);
	assert_true(pid != -1);
	/* a mix of small writes (buffered) and big ones (straight through) */
	for (off = 0; off < n; ) {
		size_t k = (off / 7) % 3 == 0 ? 100000 : 1000;

		if (k > n - off)
			k = n - off;
		assert_int_equal(lineio_write(&f->l, big + off, k), 0);
		assert_true(f->l.wbuf.len <= 1024 * 1024);
		off += k;
	}
	assert_int_equal(lineio_flush(&f->l), 0);
	free(big);
	assert_int_equal(shutdown(f->sv[0], SHUT_WR), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_write_timeout(void **state)
{
	struct fixture	*f = *state;
	size_t		 n = 4 * 1024 * 1024;
	char		*big;
	long long	 t0, dt;
	int		 r;

	/* the peer never reads: the write gives up after the timeout */
	big = calloc(1, n);
	assert_non_null(big);
	t0 = now_ms();
	r = lineio_write(&f->l, big, n);
	if (r == 0)
		r = lineio_flush(&f->l);
	dt = now_ms() - t0;
	free(big);
	assert_int_equal(r, -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(dt >= TMO - 5);
	assert_true(dt < 3000);
}

static void
test_write_peer_gone(void **state)
{
	struct fixture	*f = *state;

	close(f->sv[1]);
	f->sv[1] = -1;
	assert_int_equal(lineio_write(&f->l, "x\r\n", 3), 0);
	/* EPIPE, not SIGPIPE */
	assert_int_equal(lineio_flush(&f->l), -1);
	assert_int_equal(errno, EPIPE);
}

static void
test_pipes(void **state)
{
	int		 in[2], out[2], crlf;
	struct lineio	 l;
	struct buf	 line;
	char		 got[16];

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	lineio_init(&l, in[0], out[1], TMO);
	buf_init(&line, 100);
	assert_int_equal(fd_write_full(in[1], "a\r\nb", 4), 0);
	close(in[1]);
	assert_int_equal(lineio_read(&l, &line, 100, &crlf), LINE_OK);
	assert_int_equal(crlf, 1);
	assert_int_equal(lineio_read(&l, &line, 100, &crlf), LINE_PARTIAL);
	assert_int_equal(lineio_read(&l, &line, 100, &crlf), LINE_EOF);
	assert_int_equal(lineio_printf(&l, "%s\n", "reply"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	assert_int_equal(read(out[0], got, sizeof(got)), 6);
	assert_memory_equal(got, "reply\n", 6);
	lineio_free(&l);
	buf_free(&line);
	close(in[0]);
	close(out[0]);
	close(out[1]);
}

/* A transport that holds its input in memory, as TLS holds decrypted data. */
struct memtr {
	const char	*in;
	size_t		 inlen, inpos;
	size_t		 chunk;	/* most bytes per read */
	struct buf	 out;
	int		 reads;
};

static ssize_t
memtr_read(void *ctx, void *p, size_t n)
{
	struct memtr	*m = ctx;
	size_t		 k = m->inlen - m->inpos;

	m->reads++;
	if (k == 0) {
		errno = EAGAIN;		/* nothing: the caller must poll */
		return -1;
	}
	if (k > n)
		k = n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(p, m->in + m->inpos, k);
	m->inpos += k;
	return (ssize_t)k;
}

static ssize_t
memtr_write(void *ctx, const void *p, size_t n)
{
	struct memtr	*m = ctx;

	if (n > 5)
		n = 5;			/* short writes on purpose */
	if (buf_append(&m->out, p, n) == -1)
		return -1;
	return (ssize_t)n;
}

static int
memtr_pending(void *ctx)
{
	struct memtr	*m = ctx;

	return (int)(m->inlen - m->inpos);
}

static void
test_transport_pending(void **state)
{
	struct fixture		*f = *state;
	struct memtr		 m;
	struct line_transport	 tr;
	long long		 t0;
	int			 crlf;

	memset(&m, 0, sizeof(m));
	m.in = "EHLO tls\r\nAUTH PLAIN x\r\n";
	m.inlen = strlen(m.in);
	m.chunk = 3;
	buf_init(&m.out, 1000);
	tr.read = memtr_read;
	tr.write = memtr_write;
	tr.pending = memtr_pending;
	tr.ctx = &m;
	lineio_set_transport(&f->l, &tr);
	/*
	 * The socket is silent, so a poll() before each read would time out:
	 * with pending > 0 the lines come without waiting.
	 */
	t0 = now_ms();
	expect_line(f, 100, "EHLO tls\r\n", 10, 1);
	expect_line(f, 100, "AUTH PLAIN x\r\n", 14, 1);
	assert_true(now_ms() - t0 < TMO / 2);
	/* nothing pending: now it polls the socket and times out */
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_TIMEOUT);

	assert_int_equal(lineio_printf(&f->l, "250 %s\r\n", "ok go on"), 0);
	assert_int_equal(lineio_flush(&f->l), 0);
	assert_int_equal(m.out.len, 14);
	assert_memory_equal(m.out.data, "250 ok go on\r\n", 14);
	buf_free(&m.out);
}

/* Half a TLS record: pending says there are bytes, read says EAGAIN. */
static int
memtr_pending_stuck(void *ctx)
{
	(void)ctx;
	return 5;
}

static void
test_transport_pending_eagain(void **state)
{
	struct fixture		*f = *state;
	struct memtr		 m;
	struct line_transport	 tr;
	int			 crlf;

	memset(&m, 0, sizeof(m));
	m.in = "";
	m.chunk = 1;
	tr.read = memtr_read;
	tr.write = memtr_write;
	tr.pending = memtr_pending_stuck;
	tr.ctx = &m;
	lineio_set_transport(&f->l, &tr);
	/* no busy loop: after EAGAIN it waits on the (silent) socket */
	assert_int_equal(lineio_read(&f->l, &f->line, 100, &crlf),
	    LINE_TIMEOUT);
	assert_true(m.reads < 10);
}

/* A child that sends one byte every `every` ms, count times, never an LF. */
static pid_t
dribbler(int fd, int every, int count)
{
	pid_t	 pid;
	int	 i;

	pid = fork();
	assert_true(pid != -1);
	if (pid != 0)
		return pid;
	for (i = 0; i < count; i++) {
		if (write(fd, "x", 1) != 1)
			_exit(0);
		(void)poll(NULL, 0, every);
	}
	_exit(0);
}

static void
reap(pid_t pid)
{
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

static void
test_dribble_line_deadline(void **state)
{
	struct fixture	*f = *state;
	long long	 t0, dt;
	pid_t		 pid;
	int		 crlf;

	/* A byte every TMO/4: no wait ever lasts TMO, the line still ends. */
	pid = dribbler(f->sv[1], TMO / 4, 200);
	t0 = now_ms();
	assert_int_equal(lineio_read(&f->l, &f->line, 1000, &crlf),
	    LINE_TIMEOUT);
	dt = now_ms() - t0;
	reap(pid);
	assert_true(dt >= TMO - 5);
	assert_true(dt < 10 * TMO);
	assert_false(lineio_expired(&f->l));	/* no deadline was set */
}

static void
test_deadline(void **state)
{
	struct fixture	*f = *state;
	long long	 t0, dt;
	pid_t		 pid;
	char		 c;
	int		 crlf;

	/* The deadline binds lines that each come in time. */
	f->l.timeout_ms = 60000;
	lineio_set_deadline(&f->l, now_ms() + 2 * TMO);
	peer_send(f, "one\r\n", 5);
	expect_line(f, 100, "one\r\n", 5, 1);
	pid = dribbler(f->sv[1], TMO / 4, 200);
	t0 = now_ms();
	assert_int_equal(lineio_read(&f->l, &f->line, 1000, &crlf),
	    LINE_TIMEOUT);
	dt = now_ms() - t0;
	reap(pid);
	assert_true(dt < 10 * TMO);
	assert_true(lineio_expired(&f->l));
	/* Past it, nothing waits, even with bytes coming. */
	peer_send(f, "xx", 2);
	t0 = now_ms();
	assert_int_equal(lineio_read(&f->l, &f->line, 1000, &crlf),
	    LINE_TIMEOUT);
	errno = 0;
	assert_int_equal(lineio_read_raw(&f->l, &c, 1), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_ms() - t0 < TMO);
	/* The grace lets a last reply out. */
	lineio_grace(&f->l);
	assert_false(lineio_expired(&f->l));
	assert_int_equal(lineio_printf(&f->l, "bye\r\n"), 0);
	assert_int_equal(lineio_flush(&f->l), 0);
	assert_int_equal(lineio_wait_deadline(&f->l) <= now_ms() +
	    LINEIO_GRACE_MS, 1);
	lineio_set_deadline(&f->l, 0);
	assert_false(lineio_expired(&f->l));
}

static void
test_overflow(void **state)
{
	struct fixture	*f = *state;
	size_t		 max = 100, n = max + LINEIO_DRAIN_MAX;
	char		*big;
	pid_t		 pid;
	int		 crlf, status;

	big = malloc(2 * n + 64);
	assert_non_null(big);
	/* Exactly the drain bound, then its LF: refused, and the next line read. */
	memset(big, 'x', n);
	big[n] = '\n';
	memcpy(big + n + 1, "ok\r\n", 4);
	/* Then one byte more than the bound, with no LF at all. */
	memset(big + n + 5, 'y', n + 1);
	f->l.timeout_ms = 5000;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		_exit(fd_write_full(f->sv[1], big, 2 * n + 6) == -1);
	}
	assert_int_equal(lineio_read(&f->l, &f->line, max, &crlf),
	    LINE_TOOLONG);
	expect_line(f, max, "ok\r\n", 4, 1);
	assert_int_equal(lineio_read(&f->l, &f->line, max, &crlf),
	    LINE_OVERFLOW);
	assert_int_equal(f->line.len, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(big);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_endings),
		T(test_nul_inside),
		T(test_max_lengths),
		T(test_toolong_across_buffers),
		T(test_toolong_at_eof),
		T(test_partial),
		T(test_line_buffer_limit),
		T(test_timeout),
		T(test_raw_after_lines),
		T(test_raw_small_reads),
		T(test_discard_input),
		T(test_write_flush),
		T(test_write_large),
		T(test_write_timeout),
		T(test_write_peer_gone),
		cmocka_unit_test(test_pipes),
		T(test_transport_pending),
		T(test_transport_pending_eagain),
		T(test_dribble_line_deadline),
		T(test_deadline),
		T(test_overflow),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
