/*
 * chan: the one framed channel between two facteur processes.  Every
 * pair of processes that talks in messages uses it (docs/architecture.md,
 * "Processes and channels", lists them): the master and a resident smtpd,
 * a session and its monitor, the resident and smtpsession or a queue
 * writer, a login process and its monitor, queued and its keeper, queued
 * and lspawn, lspawn and a delivery worker.
 *
 * A frame is one netstring (lib/base/netstring.h) whose payload is 1 to
 * CHAN_FIELDS_MAX fields separated by NUL, plus 0 to CHAN_FDS_MAX
 * descriptors (SCM_RIGHTS).  Each channel has its own payload limit
 * (at most CHAN_FRAME_MAX).  Two kinds:
 *
 *   CHAN_PACKET  a SOCK_SEQPACKET socket (chan_pair): one frame per
 *                packet, and a frame's descriptors come with that packet
 *                and no other.  Every socketpair channel is one.
 *   CHAN_STREAM  a pipe (queued <-> lspawn): frames follow each other;
 *                no descriptors.  A writer that must not block queues
 *                frames (chan_queue) and writes them when it can
 *                (chan_flush).
 *
 * Trust: the receiver trusts nothing.  A frame that is not exactly one
 * netstring within the limit, with 1 to CHAN_FIELDS_MAX fields, or a
 * packet cut short, or descriptors beyond CHAN_FDS_MAX, or a control
 * message of another kind, is refused: every descriptor that came with it
 * is closed and chan_recv says -1 with errno EBADMSG.  What the fields
 * mean is the caller's to check; a caller that receives from a less
 * privileged peer kills or drops that peer on -1 (each says how at its
 * call).  Frames may carry a password (AUTH, login): chan_msg_wipe and
 * chan_close wipe every copy kept here.
 */
#ifndef FACTEUR_CHAN_H
#define FACTEUR_CHAN_H
#include <stddef.h>

#include "buf.h"
#include "netstring.h"

#define CHAN_FRAME_MAX	8192	/* payload octets of a frame, any channel */
#define CHAN_FIELDS_MAX	8	/* fields of a frame */
#define CHAN_FDS_MAX	2	/* descriptors of a frame */
#define CHAN_SMALL_MAX	256	/* a channel of a few short fields */
/* A whole frame on the wire: "len:" payload ",". */
#define CHAN_WIRE_MAX	(CHAN_FRAME_MAX + NETSTRING_DIGITS_MAX + 2)

enum chan_kind { CHAN_PACKET, CHAN_STREAM };

struct chan {
	int		 fd;		/* -1: none */
	enum chan_kind	 kind;
	size_t		 max;		/* this channel's payload limit */
	struct buf	 in;		/* stream: received, not yet a frame */
	struct buf	 out;		/* stream: queued, not yet written */
};

/* One frame received: fields point into data. */
struct chan_msg {
	char	*f[CHAN_FIELDS_MAX];
	int	 nf;
	int	 fds[CHAN_FDS_MAX];
	int	 nfds;
	size_t	 len;				/* octets used in data */
	char	 data[CHAN_WIRE_MAX + 1];
};

/* socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): 0, or -1. */
int	chan_pair(int sv[2]);
/* fd may be -1 (no channel yet); max is capped at CHAN_FRAME_MAX. */
void	chan_init(struct chan *, int fd, enum chan_kind, size_t max);
/* Closes the descriptor (if any) and wipes the buffers; fd becomes -1. */
void	chan_close(struct chan *);

/*
 * Sends one frame of nf fields (each a string) with nfds descriptors,
 * waiting if the peer is slow.  0, or -1 with errno (EMSGSIZE: longer
 * than the channel's limit; EINVAL: bad counts, or descriptors on a
 * stream; EPIPE: the peer is gone).
 */
int	chan_send(struct chan *, const char *const *f, int nf,
	    const int *fds, int nfds);
/* The same without waiting: -1 with EAGAIN when the socket is full. */
int	chan_send_nowait(struct chan *, const char *const *f, int nf,
	    const int *fds, int nfds);
/*
 * Receives one frame into m.  1; 0 at end of file; -1 with errno EBADMSG
 * (a malformed frame: see above), ECONNRESET (a stream that ended in the
 * middle of a frame) or a system error.
 */
int	chan_recv(struct chan *, struct chan_msg *);
/* The same without waiting: also 2 when no whole frame is there yet. */
int	chan_recv_nowait(struct chan *, struct chan_msg *);
/* Closes the descriptors m holds and forgets them. */
void	chan_msg_close_fds(struct chan_msg *);
/* Wipes what m holds (a frame with a password); closes its descriptors. */
void	chan_msg_wipe(struct chan_msg *);

/*
 * Streams: appends one frame to the output (0, or -1 with E2BIG when
 * the output already holds its limit) and writes what the pipe takes
 * (1 when everything is written, 0 when some waits for POLLOUT, -1 on
 * an error: the peer is gone).
 */
int	chan_queue(struct chan *, const char *const *f, int nf);
int	chan_flush(struct chan *);
/* Octets queued and not yet written. */
size_t	chan_pending(const struct chan *);

/*
 * A number field as a sender writes it ("%d"): decimal digits only, no
 * sign, space or leading zero, from min to max (min >= 0).  0 with *v,
 * or -1.  strtonum alone would also take " 7", "+7" and "007".
 */
int	chan_field_num(const char *s, long long min, long long max,
	    long long *v);

/*
 * Parses one whole frame of n octets in data (exactly one netstring of
 * at most max payload octets, 1..maxf fields): the field count, fields
 * NUL-ended in place, or -1.  Writes only inside data[0..n).
 */
int	chan_parse(char *data, size_t n, size_t max, char **f, int maxf);

#endif
