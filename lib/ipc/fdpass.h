/*
 * fdpass: one short packet, with at most one descriptor riding along
 * (SCM_RIGHTS), over a SOCK_SEQPACKET Unix socket.  The master hands
 * accepted connections to a resident server this way (smtpd -R), and
 * lspawn hands jobs, with the message's descriptor, to its delivery
 * workers (fdpass_send_max, fdpass_recv_max: longer packets).
 *
 * A packet is at most FDPASS_DATA_MAX bytes of text (the _max functions:
 * at most the max they are given, up to FDPASS_LONG_MAX).  Received
 * descriptors are close-on-exec.  Anything unexpected on receipt (a
 * truncated packet, more than one descriptor, a control message of
 * another kind) closes every descriptor that came with it and is an
 * error: the peer is trusted, so a bad packet is a bug, not input.
 */
#ifndef FACTEUR_FDPASS_H
#define FACTEUR_FDPASS_H
#include <stddef.h>
#include <sys/types.h>

#define FDPASS_DATA_MAX	256
#define FDPASS_LONG_MAX	16384

/*
 * Sends len bytes (1 to FDPASS_DATA_MAX) and, when fd != -1, the
 * descriptor fd.  MSG_NOSIGNAL; MSG_DONTWAIT when nonblock.  0, or -1
 * with errno (EAGAIN: the socket is full; EMSGSIZE: a bad length).
 */
int	fdpass_send(int sock, const void *data, size_t len, int fd,
	    int nonblock);

/*
 * Receives one packet into buf (cap >= FDPASS_DATA_MAX + 1; the data is
 * NUL-terminated) and its descriptor into *fd (-1 when none came).
 * Returns the data length, 0 at end of file, or -1 with errno (EAGAIN:
 * nothing waiting on a non-blocking socket; EBADMSG: a malformed packet,
 * whose descriptors are closed).
 */
ssize_t	fdpass_recv(int sock, char *buf, size_t cap, int *fd);

/*
 * The same for packets of up to max bytes (1 to FDPASS_LONG_MAX); buf
 * holds max + 1.  A longer packet is EMSGSIZE on sending and EBADMSG on
 * receipt.
 */
int	fdpass_send_max(int sock, const void *data, size_t len, size_t max,
	    int fd, int nonblock);
ssize_t	fdpass_recv_max(int sock, char *buf, size_t max, int *fd);

#endif
