/*
 * fuzz_chan.h: what the channel targets share (docs/security-fuzz.md).
 * An input reaches the receiving code the way a peer's frame reaches it
 * in the program: its bytes are written as one packet into a real
 * SOCK_SEQPACKET socketpair, with the descriptors the input asks for, and
 * received by lib/ipc/chan.c's chan_recv on a channel of the receiver's
 * limit; so the framing, the field split and the descriptor handling are
 * the real ones, and a descriptor the receiver forgets to close is seen.
 *
 * The oracle is written here, apart from lib/: fz_ref_frame says whether
 * bytes are exactly one well-formed frame within a limit (a netstring,
 * "len:payload," with len in decimal without leading zeros, then 1 to
 * CHAN_FIELDS_MAX NUL-separated fields, a final NUL ending the last one)
 * and gives its fields.  Every target checks that what does not parse is
 * never accepted, whatever the state of the receiver.
 *
 * Input conventions: a target takes its control bytes first (fz_byte:
 * 0 once the input is used up), then the rest is the frame.  The
 * descriptor byte (fz_fds_from) gives how many descriptors ride along
 * (0 to FZ_FDS_SENT) and of which kind (FZ_FD_*).
 */
#ifndef FACTEUR_FUZZ_CHAN_H
#define FACTEUR_FUZZ_CHAN_H

#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"

/* Kinds of descriptor a peer may attach. */
enum fz_fd {
	FZ_FD_UNIX,		/* an AF_UNIX stream socket */
	FZ_FD_INET,		/* an AF_INET stream socket */
	FZ_FD_PIPE,		/* the read end of a pipe */
	FZ_FD_FILE,		/* /dev/null */
	FZ_FD_PIPE_W,		/* the write end of a pipe */
	FZ_FD_CONN,		/* the same socket as fz_conn() (a dup) */
	FZ_FD_MEMFD,		/* a memfd sealed against writing, as
				   conf_text_fd makes one */
	FZ_FD_MEMFD_OPEN,	/* a memfd without seals: writable */
	FZ_FD_FILE_RO,		/* a regular file open read-only */
	FZ_FD_MEMFD_OTHER,	/* a sealed memfd another user made (as
				   root: nobody, with setfsuid; else one
				   without seals, refused all the same) */
	FZ_FD_KINDS
};
/* Descriptors an input can attach: more than chan's room (8) for them. */
#define FZ_FDS_SENT	10
/* Longer inputs are not sent (a packet must fit the socket's buffer). */
#define FZ_INPUT_MAX	65536

struct fz_fds {
	int	n;
	int	kind[FZ_FDS_SENT];
};

/* One frame as the reference reads it: its fields, each with its length. */
struct fz_frame {
	int		 nf;
	const uint8_t	*f[CHAN_FIELDS_MAX];
	size_t		 len[CHAN_FIELDS_MAX];
};

static inline uint8_t
fz_byte(const uint8_t **p, size_t *n)
{
	uint8_t	 b;

	if (*n == 0)
		return 0;
	b = **p;
	(*p)++;
	(*n)--;
	return b;
}

/*
 * The descriptors for control byte b: mostly none, sometimes one or two
 * (what channels carry), now and then too many.
 */
static inline void
fz_fds_from(uint8_t b, uint8_t kinds, struct fz_fds *d)
{
	static const int count[16] = { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2,
	    2, 3, 9, 10 };
	int	 i;

	d->n = count[b & 15];
	for (i = 0; i < d->n; i++)
		d->kind[i] = (i < 2 ? (kinds >> (4 * i)) : (b >> 4)) %
		    FZ_FD_KINDS;
}

/*
 * The reference: the field count of p[0..n) when it is exactly one frame
 * of at most max payload octets, else -1.  fr's fields point into p.
 */
static inline int
fz_ref_frame(const uint8_t *p, size_t n, size_t max, struct fz_frame *fr)
{
	size_t	 i, len = 0, off, start;

	fr->nf = 0;
	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i >= 10 || (i == 1 && p[0] == '0'))
			return -1;
		len = len * 10 + (size_t)(p[i] - '0');
		if (len > max)
			return -1;
	}
	if (i == 0 || i == n || p[i] != ':')
		return -1;
	off = i + 1;
	if (n - off != len + 1 || p[n - 1] != ',' || len == 0)
		return -1;
	start = off;
	for (i = off; i <= off + len; i++) {
		if (i < off + len && p[i] != '\0')
			continue;
		/* a final NUL ends the last field */
		if (i == off + len && start == i && p[i - 1] == '\0')
			break;
		if (fr->nf == CHAN_FIELDS_MAX)
			return -1;
		fr->f[fr->nf] = p + start;
		fr->len[fr->nf++] = i - start;
		start = i + 1;
	}
	return fr->nf;
}

/*
 * The reference on a stream (frames one after the other, as on a pipe):
 * 1 with the next frame and *used, its octets; 0 when p[0..n) is the
 * start of a frame, cut off (or nothing); -1 when it starts with
 * something that can never be a frame within max (a whole netstring of
 * no field or too many included).
 */
static inline int
fz_ref_stream(const uint8_t *p, size_t n, size_t max, struct fz_frame *fr,
    size_t *used)
{
	size_t	 i, len = 0;

	for (i = 0; i < n && p[i] != ':'; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 10 ||
		    (i == 1 && p[0] == '0'))
			return -1;
		len = len * 10 + (size_t)(p[i] - '0');
		if (len > max)
			return -1;
	}
	if (i == n)
		return 0;
	if (i == 0)
		return -1;
	if (n - (i + 1) < len + 1)
		return 0;
	if (p[i + 1 + len] != ',')
		return -1;
	*used = i + 1 + len + 1;
	return fz_ref_frame(p, *used, max, fr) > 0 ? 1 : -1;
}

/*
 * Writes p[0..n) into a pipe in chunks of `chunk` octets (all at once
 * for 0), receiving from the other end with chan_recv_nowait on a
 * stream channel of limit max as a poll loop would: each frame goes to
 * take(arg, m), which returns 0 to go on, -1 to stop (the receiver gives
 * up on its peer).  Returns chan_recv_nowait's last answer: 0 (end of
 * file), -1 (errno EBADMSG or ECONNRESET), or 1 when take stopped.
 */
static inline int
fz_stream_feed(const uint8_t *p, size_t n, size_t chunk, size_t max,
    struct chan_msg *m, int (*take)(void *, struct chan_msg *), void *arg)
{
	struct chan	 c;
	size_t		 sent = 0, len;
	int		 pp[2], r, saved;

	if (chunk == 0)
		chunk = n;
	if (pipe2(pp, O_NONBLOCK) == -1)
		abort();
	chan_init(&c, pp[0], CHAN_STREAM, max);
	for (;;) {
		r = chan_recv_nowait(&c, m);
		if (r == 2) {
			if (sent == n) {
				(void)close(pp[1]);
				pp[1] = -1;
				continue;
			}
			len = n - sent < chunk ? n - sent : chunk;
			if (write(pp[1], p + sent, len) != (ssize_t)len)
				abort();
			sent += len;
			continue;
		}
		if (r != 1 || take(arg, m) == -1)
			break;
	}
	saved = errno;
	if (pp[1] != -1)
		(void)close(pp[1]);
	chan_close(&c);
	errno = saved;
	return r;
}

/* 1 if field i of the reference frame is the string s. */
static inline int
fz_field_is(const struct fz_frame *fr, int i, const char *s)
{
	return i < fr->nf && fr->len[i] == strlen(s) &&
	    memcmp(fr->f[i], s, fr->len[i]) == 0;
}

/*
 * Field i as a number the way senders write one ("%d"): decimal digits,
 * no sign, space or leading zero, from min to max.  1 with *v, or 0.
 */
static inline int
fz_field_num(const struct fz_frame *fr, int i, long long min, long long max,
    long long *v)
{
	unsigned __int128	 n = 0;
	size_t			 k;

	if (i >= fr->nf || fr->len[i] == 0 || fr->len[i] > 20 ||
	    (fr->f[i][0] == '0' && fr->len[i] > 1))
		return 0;
	for (k = 0; k < fr->len[i]; k++) {
		if (fr->f[i][k] < '0' || fr->f[i][k] > '9')
			return 0;
		n = n * 10 + (unsigned)(fr->f[i][k] - '0');
	}
	if (n < (unsigned __int128)min || n > (unsigned __int128)max)
		return 0;
	*v = (long long)n;
	return 1;
}

/* 1 if field i is 1 to max octets with no control byte (0x00-0x1f, 0x7f). */
static inline int
fz_field_text(const struct fz_frame *fr, int i, size_t min, size_t max)
{
	size_t	 k;

	if (i >= fr->nf || fr->len[i] < min || fr->len[i] > max)
		return 0;
	for (k = 0; k < fr->len[i]; k++)
		if (fr->f[i][k] < 0x20 || fr->f[i][k] == 0x7f)
			return 0;
	return 1;
}

/* 1 if field i is a queue ID: 14 characters of Crockford base32. */
static inline int
fz_field_queueid(const struct fz_frame *fr, int i)
{
	static const char	 b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	size_t			 k;

	if (i >= fr->nf || fr->len[i] != 14)
		return 0;
	for (k = 0; k < 14; k++)
		if (fr->f[i][k] == '\0' || strchr(b32, fr->f[i][k]) == NULL)
			return 0;
	return 1;
}

/* 1 if m holds exactly the reference frame's fields. */
static inline int
fz_same_fields(const struct chan_msg *m, const struct fz_frame *fr)
{
	int	 i;

	if (m->nf != fr->nf)
		return 0;
	for (i = 0; i < m->nf; i++)
		if (strlen(m->f[i]) != fr->len[i] ||
		    memcmp(m->f[i], fr->f[i], fr->len[i]) != 0)
			return 0;
	return 1;
}

/*
 * Descriptors open from the lowest free one up (a window wide enough for
 * whatever one input opens): taken before an input, compared after it,
 * so that a descriptor a receiver forgot to close is seen.  Descriptors
 * the fuzzer's own parent left open above the lowest free one stay in
 * both.
 */
#define FZ_FD_WINDOW	64
struct fz_fdset {
	int	from;
	uint8_t	open[FZ_FD_WINDOW];
};

static inline void
fz_fds_take(struct fz_fdset *s)
{
	int	 fd;

	if ((s->from = dup(0)) == -1)
		abort();
	(void)close(s->from);
	for (fd = 0; fd < FZ_FD_WINDOW; fd++)
		s->open[fd] = fcntl(s->from + fd, F_GETFD) != -1;
}

/* Aborts unless the same descriptors are open as at fz_fds_take. */
static inline void
fz_fds_same(const struct fz_fdset *s)
{
	int	 fd;

	for (fd = 0; fd < FZ_FD_WINDOW; fd++)
		if ((fcntl(s->from + fd, F_GETFD) != -1) != s->open[fd])
			abort();
}

/*
 * "The client's connection" of targets that need one: a socket made once
 * (one end of an AF_UNIX pair whose other end stays open, so that it has
 * a peer); FZ_FD_CONN sends a duplicate of it.
 */
static inline int
fz_conn(void)
{
	static int	 sv[2] = { -1, -1 };

	if (sv[0] == -1 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == -1)
		abort();
	return sv[0];
}

static inline int
fz_fd_new(int kind)
{
	int	 p[2], fd = -1;

	switch (kind) {
	case FZ_FD_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == -1)
			abort();
		(void)close(p[1]);
		fd = p[0];
		break;
	case FZ_FD_INET:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		break;
	case FZ_FD_PIPE:
		if (pipe(p) == -1)
			abort();
		(void)close(p[1]);
		fd = p[0];
		break;
	case FZ_FD_PIPE_W:
		if (pipe(p) == -1)
			abort();
		(void)close(p[0]);
		fd = p[1];
		break;
	case FZ_FD_CONN:
		fd = dup(fz_conn());
		break;
	case FZ_FD_MEMFD:
		if ((fd = conf_text_fd("queue_dir /q\n", 13)) == -1)
			abort();
		break;
	case FZ_FD_MEMFD_OPEN:
		fd = memfd_create("fz", 0);
		break;
	case FZ_FD_FILE_RO:
		fd = open("/proc/self/exe", O_RDONLY);
		break;
	case FZ_FD_MEMFD_OTHER:
		if (geteuid() != 0) {
			fd = memfd_create("fz", 0);
			break;
		}
		(void)setfsuid(65534);
		fd = conf_text_fd("queue_dir /q\n", 13);
		(void)setfsuid(0);
		break;
	default:
		fd = open("/dev/null", O_RDONLY);
	}
	if (fd == -1)
		abort();
	return fd;
}

/* 1 if fd is open, close-on-exec, and of the kind that was sent. */
static inline int
fz_fd_is(int fd, int kind)
{
	struct stat	 st;
	int		 fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1 || !(fl & FD_CLOEXEC) ||
	    fstat(fd, &st) == -1)
		return 0;
	switch (kind) {
	case FZ_FD_UNIX:
	case FZ_FD_INET:
	case FZ_FD_CONN:
		return S_ISSOCK(st.st_mode);
	case FZ_FD_PIPE:
	case FZ_FD_PIPE_W:
		return S_ISFIFO(st.st_mode);
	case FZ_FD_MEMFD:
	case FZ_FD_MEMFD_OPEN:
	case FZ_FD_FILE_RO:
	case FZ_FD_MEMFD_OTHER:
		return S_ISREG(st.st_mode);
	default:
		return S_ISCHR(st.st_mode);
	}
}

/*
 * The SOCK_SEQPACKET pair the packets go through, made once: end 0
 * sends, end 1 receives.
 */
static inline int
fz_pair(int end)
{
	static int	 sv[2] = { -1, -1 };
	int		 sz = 1 << 20;

	if (sv[0] == -1) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1)
			abort();
		/* room for the longest input sent (FZ_INPUT_MAX) */
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		/* made before a target counts its descriptors, as the pair */
		(void)fz_conn();
	}
	return sv[end];
}

/*
 * Writes data[0..n) as one packet with d's descriptors (made here,
 * closed once sent) into the send end of the pair; returns the receive
 * end.
 */
static inline int
fz_packet_send(const uint8_t *data, size_t n, const struct fz_fds *d)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * FZ_FDS_SENT)];
	} cm;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*ch;
	int		 fds[FZ_FDS_SENT], i;

	if (n > FZ_INPUT_MAX)
		abort();
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)data;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (d->n > 0) {
		for (i = 0; i < d->n; i++)
			fds[i] = fz_fd_new(d->kind[i]);
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)d->n);
		ch = CMSG_FIRSTHDR(&mh);
		ch->cmsg_level = SOL_SOCKET;
		ch->cmsg_type = SCM_RIGHTS;
		ch->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)d->n);
		memcpy(CMSG_DATA(ch), fds, sizeof(int) * (size_t)d->n);
	}
	if (sendmsg(fz_pair(0), &mh, MSG_DONTWAIT) != (ssize_t)n)
		abort();
	for (i = 0; i < d->n; i++)
		(void)close(fds[i]);
	return fz_pair(1);
}

/*
 * The frame the peer sends (data, d), received with chan_recv on a
 * channel of limit max: chan_recv's answer, m filled as the program gets
 * it.  c is the receiver's channel (closed by the caller: chan_close
 * would close the pair, so only its buffers are freed there).
 */
static inline int
fz_packet_recv(const uint8_t *data, size_t n, const struct fz_fds *d,
    size_t max, struct chan_msg *m)
{
	struct chan	 c;
	int		 r;

	chan_init(&c, fz_packet_send(data, n, d), CHAN_PACKET, max);
	r = chan_recv(&c, m);
	c.fd = -1;
	chan_close(&c);
	return r;
}

/*
 * The start of every channel target: 0 for an input too long to send,
 * else 1 with the pair made and the descriptors open now noted in s
 * (fz_fds_same checks them at the end).
 */
static inline int
fz_begin(size_t size, struct fz_fdset *s)
{
	if (size > FZ_INPUT_MAX)
		return 0;
	(void)fz_pair(0);
	fz_fds_take(s);
	return 1;
}

/*
 * What a packet target does first: takes the descriptor and kinds bytes,
 * sends the rest of the input as one packet with those descriptors,
 * receives it with chan_recv at max into m, and checks chan_recv's answer
 * against the reference: refused (-1) for more than CHAN_FDS_MAX
 * descriptors or bytes that are not one frame within max, end of file (0)
 * for an empty packet without descriptor, else 1 with the reference's
 * fields in m and fr.  Returns that answer; d says what was sent.
 */
static inline int
fz_packet_input(const uint8_t *data, size_t size, size_t max,
    struct fz_fds *d, struct chan_msg *m, struct fz_frame *fr)
{
	uint8_t	 fdb, kinds;
	int	 r, want;

	fdb = fz_byte(&data, &size);
	kinds = fz_byte(&data, &size);
	fz_fds_from(fdb, kinds, d);
	r = fz_packet_recv(data, size, d, max, m);
	if (d->n > CHAN_FDS_MAX)
		want = -1;
	else if (size == 0)
		want = d->n == 0 ? 0 : -1;
	else
		want = fz_ref_frame(data, size, max, fr) > 0 ? 1 : -1;
	if (r != want || (r == 1 && !fz_same_fields(m, fr)))
		abort();
	return r;
}

#endif
