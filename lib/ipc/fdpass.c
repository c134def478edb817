/*
 * fdpass: packets with one descriptor over SOCK_SEQPACKET; see fdpass.h.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"

#define FDPASS_FDS_ROOM	4	/* room to notice (and close) extra fds */

int
fdpass_send(int sock, const void *data, size_t len, int fd, int nonblock)
{
	return fdpass_send_max(sock, data, len, FDPASS_DATA_MAX, fd, nonblock);
}

int
fdpass_send_max(int sock, const void *data, size_t len, size_t max, int fd,
    int nonblock)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 flags = MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0);

	if (len == 0 || len > max || max > FDPASS_LONG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, flags);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Closes every descriptor of every SCM_RIGHTS message in mh. */
static void
fdpass_close_all(struct msghdr *mh)
{
	struct cmsghdr	*c;
	size_t		 i, nfd;
	int		 fd;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			(void)close(fd);
		}
	}
}

ssize_t
fdpass_recv(int sock, char *buf, size_t cap, int *fdp)
{
	*fdp = -1;
	if (cap < FDPASS_DATA_MAX + 1) {
		errno = EINVAL;
		return -1;
	}
	return fdpass_recv_max(sock, buf, FDPASS_DATA_MAX, fdp);
}

ssize_t
fdpass_recv_max(int sock, char *buf, size_t max, int *fdp)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(FDPASS_FDS_ROOM * sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 fd = -1;

	*fdp = -1;
	if (max == 0 || max > FDPASS_LONG_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = buf;
	iov.iov_len = max + 1;		/* one more: to see truncation */
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    (size_t)n > max) {
		fdpass_close_all(&mh);
		errno = EBADMSG;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)) || fd != -1) {
			fdpass_close_all(&mh);
			errno = EBADMSG;
			return -1;
		}
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	if (n == 0 && fd != -1) {
		/* a descriptor without data: never sent by fdpass_send */
		(void)close(fd);
		errno = EBADMSG;
		return -1;
	}
	buf[n] = '\0';
	*fdp = fd;
	return n;
}
