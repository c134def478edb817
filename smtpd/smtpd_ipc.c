/*
 * smtpd_ipc: typed, length-framed messages between the smtpd session and
 * its monitor over a socketpair.  A frame is a netstring of NUL-separated
 * fields (lib/base/netstring.h); descriptors ride along with SCM_RIGHTS.  The
 * reader never holds more than one frame's worth of bytes, and any frame
 * that does not decode breaks the channel: the caller then ends the peer.
 * Frames may carry a password (AUTH): every copy made here is wiped.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "netstring.h"
#include "smtpd.h"

void
ipc_init(struct ipc_chan *c, int fd)
{
	c->fd = fd;
	buf_init(&c->in, IPC_FRAME_MAX + NETSTRING_DIGITS_MAX + 2);
}

int
ipc_send(struct ipc_chan *c, const char *const *fields, int nf,
    const int *fds, int nfds)
{
	struct buf	 out;
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
	} cm;
	ssize_t		 w;
	size_t		 off = 0;

	if (nfds < 0 || nfds > IPC_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	buf_init(&out, IPC_FRAME_MAX + NETSTRING_DIGITS_MAX + 2);
	if (frame_encode(&out, fields, nf) == -1) {
		buf_wipe(&out);
		return -1;
	}
	while (off < out.len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = out.data + off;
		iov.iov_len = out.len - off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (off == 0 && nfds > 0) {
			struct cmsghdr *ch;

			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
			ch = CMSG_FIRSTHDR(&mh);
			ch->cmsg_level = SOL_SOCKET;
			ch->cmsg_type = SCM_RIGHTS;
			ch->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
			memcpy(CMSG_DATA(ch), fds, sizeof(int) * (size_t)nfds);
		}
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			buf_wipe(&out);
			return -1;
		}
		off += (size_t)w;
	}
	buf_wipe(&out);
	return 0;
}

void
ipc_msg_close_fds(struct ipc_msg *m)
{
	int	 i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1)
			(void)close(m->fds[i]);
	m->nfds = 0;
}

/* Takes descriptors out of the control data; too many is an error. */
static int
ipc_take_fds(struct msghdr *mh, struct ipc_msg *m)
{
	struct cmsghdr	*ch;
	int		 bad = 0;

	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	for (ch = CMSG_FIRSTHDR(mh); ch != NULL; ch = CMSG_NXTHDR(mh, ch)) {
		size_t	 n, i;
		int	 fd;

		if (ch->cmsg_level != SOL_SOCKET || ch->cmsg_type != SCM_RIGHTS)
			continue;
		n = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int), sizeof(int));
			if (m->nfds < IPC_FDS_MAX)
				m->fds[m->nfds++] = fd;
			else {
				(void)close(fd);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

/* flags: 0, or MSG_DONTWAIT for ipc_recv_nb. */
static int
ipc_recv_flags(struct ipc_chan *c, struct ipc_msg *m, int flags)
{
	const char	*data;
	size_t		 dlen, used;
	int		 r;

	memset(m, 0, sizeof(*m));
	for (;;) {
		char		 tmp[IPC_FRAME_MAX + NETSTRING_DIGITS_MAX + 2];
		struct msghdr	 mh;
		struct iovec	 iov;
		union {
			struct cmsghdr	hdr;
			char		buf[CMSG_SPACE(sizeof(int) *
					    IPC_FDS_MAX)];
		} cm;
		ssize_t		 n;
		size_t		 want;

		r = netstring_decode(c->in.data != NULL ? c->in.data : "",
		    c->in.len, IPC_FRAME_MAX, &data, &dlen, &used);
		if (r == -1)
			goto bad;
		if (r == 1)
			break;
		want = c->in.max - c->in.len;
		if (want == 0)
			goto bad;
		if (want > sizeof(tmp))
			want = sizeof(tmp);
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = tmp;
		iov.iov_len = want;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | flags);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if ((flags & MSG_DONTWAIT) &&
			    (errno == EAGAIN || errno == EWOULDBLOCK)) {
				/* descriptors with part of a frame: refused */
				if (m->nfds > 0)
					goto bad;
				return 2;
			}
			ipc_msg_close_fds(m);
			return -1;
		}
		if (ipc_take_fds(&mh, m) == -1)
			goto bad;
		if (n == 0) {
			if (c->in.len > 0 || m->nfds > 0)
				goto bad;
			return 0;
		}
		r = buf_append(&c->in, tmp, (size_t)n);
		explicit_bzero(tmp, (size_t)n);
		if (r == -1)
			goto bad;
	}
	memcpy(m->data, data, dlen);
	m->data[dlen] = '\0';
	explicit_bzero(c->in.data, used);
	buf_consume(&c->in, used);
	m->nf = frame_split(m->data, dlen, m->f, IPC_FIELDS_MAX);
	if (m->nf < 1)
		goto bad;
	return 1;
bad:
	ipc_msg_close_fds(m);
	errno = EPROTO;
	return -1;
}

int
ipc_recv(struct ipc_chan *c, struct ipc_msg *m)
{
	return ipc_recv_flags(c, m, 0);
}

int
ipc_recv_nb(struct ipc_chan *c, struct ipc_msg *m)
{
	return ipc_recv_flags(c, m, MSG_DONTWAIT);
}
