/*
 * chan: framed channels between facteur's processes (chan.h).  The only
 * file that calls sendmsg(2) and recvmsg(2) with descriptors.  It trusts
 * no byte and no descriptor it receives: anything that is not exactly one
 * frame within the channel's limits is refused and its descriptors are
 * closed.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "fdio.h"

/* Control room for more descriptors than allowed: extras are seen, closed. */
#define CHAN_FDS_ROOM	8

/* The wire length of a frame of max payload octets. */
static size_t
chan_wire(size_t max)
{
	return max + NETSTRING_DIGITS_MAX + 2;
}

int
chan_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

void
chan_init(struct chan *c, int fd, enum chan_kind kind, size_t max)
{
	if (max == 0 || max > CHAN_FRAME_MAX)
		max = CHAN_FRAME_MAX;
	c->fd = fd;
	c->kind = kind;
	c->max = max;
	buf_init(&c->in, chan_wire(max));
	/* a non-blocking writer may queue many frames */
	buf_init(&c->out, 1024 * chan_wire(max));
}

void
chan_close(struct chan *c)
{
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
	buf_wipe(&c->in);
	buf_wipe(&c->out);
}

int
chan_parse(char *data, size_t n, size_t max, char **f, int maxf)
{
	const char	*d;
	size_t		 dlen, used;
	int		 nf;

	if (netstring_decode(data, n, max, &d, &dlen, &used) != 1 ||
	    used != n)
		return -1;
	/* frame_split wants the payload NUL-ended: the ',' is ours to reuse */
	data[(size_t)(d - data) + dlen] = '\0';
	nf = frame_split(data + (d - data), dlen, f, maxf);
	return nf > 0 ? nf : -1;
}

int
chan_field_num(const char *s, long long min, long long max, long long *v)
{
	long long	 n = 0;
	size_t		 i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || n > max / 10 ||
		    n * 10 > max - (s[i] - '0'))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < min)
		return -1;
	*v = n;
	return 0;
}

/*
 * Appends the frame to b, refused (EMSGSIZE) when its payload is over the
 * channel's limit: the payload frame_encode makes is the fields with a
 * NUL between two, and one more after an empty last field.
 */
static int
chan_encode(const struct chan *c, struct buf *b, const char *const *f,
    int nf)
{
	size_t	 len = 0, n;
	int	 i;

	if (nf < 1 || nf > CHAN_FIELDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nf; i++) {
		n = strlen(f[i]) + (i > 0 ? 1 : 0);
		if (n > c->max || len > c->max - n)
			goto toolong;
		len += n;
	}
	if (f[nf - 1][0] == '\0' && len++ >= c->max)
		goto toolong;
	if (len == 0)
		goto toolong;
	if (frame_encode(b, f, nf) == -1) {
		if (errno == E2BIG)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
toolong:
	errno = EMSGSIZE;
	return -1;
}

static int
chan_send_flags(struct chan *c, const char *const *f, int nf, const int *fds,
    int nfds, int flags)
{
	struct buf	 b;
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * CHAN_FDS_MAX)];
	} cm;
	struct cmsghdr	*ch;
	ssize_t		 w;
	int		 saved;

	if (nfds < 0 || nfds > CHAN_FDS_MAX ||
	    (nfds > 0 && c->kind != CHAN_PACKET) || c->fd == -1) {
		errno = EINVAL;
		return -1;
	}
	buf_init(&b, chan_wire(c->max));
	if (chan_encode(c, &b, f, nf) == -1) {
		saved = errno;
		buf_wipe(&b);
		errno = saved;
		return -1;
	}
	if (c->kind == CHAN_STREAM) {
		/* a pipe: the whole frame, waiting as needed */
		w = fd_write_full(c->fd, b.data, b.len);
		saved = errno;
		buf_wipe(&b);
		errno = saved;
		return w == -1 ? -1 : 0;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = b.data;
	iov.iov_len = b.len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		ch = CMSG_FIRSTHDR(&mh);
		ch->cmsg_level = SOL_SOCKET;
		ch->cmsg_type = SCM_RIGHTS;
		ch->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(ch), fds, sizeof(int) * (size_t)nfds);
	}
	do
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | flags);
	while (w == -1 && errno == EINTR);
	saved = errno;
	if (w != -1 && (size_t)w != b.len) {
		saved = EMSGSIZE;
		w = -1;
	}
	buf_wipe(&b);
	errno = saved;
	return w == -1 ? -1 : 0;
}

int
chan_send(struct chan *c, const char *const *f, int nf, const int *fds,
    int nfds)
{
	return chan_send_flags(c, f, nf, fds, nfds, 0);
}

int
chan_send_nowait(struct chan *c, const char *const *f, int nf,
    const int *fds, int nfds)
{
	return chan_send_flags(c, f, nf, fds, nfds, MSG_DONTWAIT);
}

void
chan_msg_close_fds(struct chan_msg *m)
{
	int	 i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1)
			(void)close(m->fds[i]);
	m->nfds = 0;
}

void
chan_msg_wipe(struct chan_msg *m)
{
	chan_msg_close_fds(m);
	explicit_bzero(m->data, m->len < sizeof(m->data) ? m->len + 1 :
	    sizeof(m->data));
	m->len = 0;
	m->nf = 0;
}

/* Takes the descriptors of a packet into m; -1 when anything is off. */
static int
chan_take_fds(struct msghdr *mh, struct chan_msg *m)
{
	struct cmsghdr	*ch;
	size_t		 n, i;
	int		 fd, bad = 0;

	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	for (ch = CMSG_FIRSTHDR(mh); ch != NULL; ch = CMSG_NXTHDR(mh, ch)) {
		if (ch->cmsg_level != SOL_SOCKET ||
		    ch->cmsg_type != SCM_RIGHTS || ch->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		n = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int),
			    sizeof(int));
			if (m->nfds < CHAN_FDS_MAX)
				m->fds[m->nfds++] = fd;
			else {
				(void)close(fd);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

/* A malformed frame: nothing of it is kept, its descriptors closed. */
static int
chan_refuse(struct chan_msg *m)
{
	chan_msg_wipe(m);
	errno = EBADMSG;
	return -1;
}

/* One packet: 1, 0 at end of file, 2 (nothing yet), -1. */
static int
chan_recv_packet(struct chan *c, struct chan_msg *m, int flags)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * CHAN_FDS_ROOM)];
	} cm;
	ssize_t		 n;
	size_t		 wire = chan_wire(c->max);

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = m->data;
	iov.iov_len = wire + 1;		/* one more: to see a long one */
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if ((flags & MSG_DONTWAIT) &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			return 2;
		return -1;
	}
	if (chan_take_fds(&mh, m) == -1 || (mh.msg_flags & MSG_TRUNC) ||
	    (size_t)n > wire)
		goto bad;
	if (n == 0) {
		/* end of file; a descriptor without data is never sent */
		if (m->nfds > 0)
			goto bad;
		return 0;
	}
	m->len = (size_t)n;
	m->data[n] = '\0';
	if ((m->nf = chan_parse(m->data, m->len, c->max, m->f,
	    CHAN_FIELDS_MAX)) == -1)
		goto bad;
	return 1;
bad:
	return chan_refuse(m);
}

/* One frame from a stream: 1, 0 at end of file, 2 (not yet), -1. */
static int
chan_recv_stream(struct chan *c, struct chan_msg *m, int nowait)
{
	const char	*d;
	size_t		 dlen, used, room;
	ssize_t		 n;
	int		 r;

	for (;;) {
		r = netstring_decode(c->in.data != NULL ? c->in.data : "",
		    c->in.len, c->max, &d, &dlen, &used);
		if (r == -1)
			goto bad;
		if (r == 1)
			break;
		room = c->in.max - c->in.len;
		if (room == 0 || buf_reserve(&c->in, room) == -1)
			goto bad;
		do
			n = read(c->fd, c->in.data + c->in.len, room);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (nowait)
					return 2;
				/* a blocking caller on a non-blocking pipe */
				if (fd_wait_until(c->fd, POLLIN, 0) == -1)
					return -1;
				continue;
			}
			return -1;
		}
		if (n == 0) {
			if (c->in.len > 0) {
				/* the peer ended in the middle of a frame */
				buf_wipe(&c->in);
				errno = ECONNRESET;
				return -1;
			}
			return 0;
		}
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	}
	memcpy(m->data, d, dlen);
	m->data[dlen] = '\0';
	m->len = dlen;
	explicit_bzero(c->in.data, used);
	buf_consume(&c->in, used);
	if ((m->nf = frame_split(m->data, dlen, m->f, CHAN_FIELDS_MAX)) < 1)
		goto bad;
	return 1;
bad:
	return chan_refuse(m);
}

static int
chan_recv_mode(struct chan *c, struct chan_msg *m, int nowait)
{
	m->nf = 0;
	m->nfds = 0;
	m->len = 0;
	m->data[0] = '\0';
	if (c->fd == -1) {
		errno = EBADF;
		return -1;
	}
	if (c->kind == CHAN_STREAM)
		return chan_recv_stream(c, m, nowait);
	return chan_recv_packet(c, m, nowait ? MSG_DONTWAIT : 0);
}

int
chan_recv(struct chan *c, struct chan_msg *m)
{
	return chan_recv_mode(c, m, 0);
}

int
chan_recv_nowait(struct chan *c, struct chan_msg *m)
{
	return chan_recv_mode(c, m, 1);
}

int
chan_queue(struct chan *c, const char *const *f, int nf)
{
	if (c->kind != CHAN_STREAM) {
		errno = EINVAL;
		return -1;
	}
	return chan_encode(c, &c->out, f, nf);
}

int
chan_flush(struct chan *c)
{
	ssize_t	 n;

	while (c->out.len > 0) {
		if (c->fd == -1) {
			errno = EBADF;
			return -1;
		}
		n = write(c->fd, c->out.data, c->out.len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
	}
	return 1;
}

size_t
chan_pending(const struct chan *c)
{
	return c->out.len;
}
