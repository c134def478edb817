/*
 * remote_job: the packets of the remote delivery, one SOCK_SEQPACKET
 * packet each (lib/ipc/fdpass.h), fields separated by NUL:
 *
 *   request  J, slot, queue id, sender, nexthop, rcpt[, rcpt...]
 *            with the message's descriptor (read-only)
 *   result   R, slot, index, K|Z|D, dsn, relay, text
 *   end      E, slot, site, wait ms, connect ms, transfer ms, conn use
 *
 * queued sends requests to rspawn, one per destination (nexthop,
 * lib/smtp/smtp_nexthop.h) and message, at most RJOB_RCPT_MAX recipients
 * in at most RJOB_PACKET_MAX octets; rspawn hands the same request (slot
 * 0) to the SMTP client process that delivers it.  Back come one result
 * per recipient (index: its place in the request, each exactly once) and
 * then one end: site is 1 when no host of the destination could be
 * talked to (queued then backs the whole destination off), the times
 * split the delivery for the log's delays=, and conn use is how many
 * deliveries the connection has carried with this one (1: it was opened
 * for it; 0: none was made), the log's conn_use=.  dsn is the RFC 3463 code
 * whose class matches the status (2 for K, 4 for Z, 5 for D); relay is
 * "host[address]:port" or "none"; text is one printable line.
 *
 * Each side trusts the other less than itself: rspawn does not trust the
 * SMTP client, queued does not trust rspawn.  A decoder refuses any packet
 * that is not exactly this (field count, tags, numbers without sign or
 * leading zero, control bytes, lengths past the limits): the sender is
 * then treated as broken.
 */
#ifndef FACTEUR_REMOTE_JOB_H
#define FACTEUR_REMOTE_JOB_H
#include <stddef.h>

#define RJOB_PACKET_MAX		16384	/* octets of one packet (FDPASS_LONG_MAX) */
#define RJOB_RCPT_MAX		1000	/* recipients of one request */
#define RJOB_SLOT_MAX		1000	/* slots are 0 .. RJOB_SLOT_MAX - 1 */
#define RJOB_TEXT_MAX		512	/* octets of a result's text */
#define RJOB_RELAY_MAX		300	/* octets of a relay */
#define RJOB_MS_MAX		999999999UL	/* a time in an end packet */

struct rjob {
	unsigned	 slot;
	const char	*id;
	const char	*sender;
	const char	*nexthop;
	const char	*rcpt[RJOB_RCPT_MAX];
	size_t		 nrcpt;
};

struct rjob_result {
	unsigned	 slot;
	size_t		 index;
	char		 status;	/* K, Z or D */
	const char	*dsn;
	const char	*relay;
	const char	*text;
};

struct rjob_end {
	unsigned	 slot;
	int		 site;
	unsigned long	 wait_ms, conn_ms, xfer_ms;
	unsigned long	 conn_use;
};

/*
 * Request encoding, in two steps so that the sender can fill a packet:
 * rjob_begin puts the fixed fields, rjob_add_rcpt one recipient more.
 * Each returns 0, or -1 with errno EMSGSIZE (no room: the packet is
 * unchanged) or EINVAL (a value that the decoder would refuse).
 */
int	rjob_begin(char *buf, size_t cap, size_t *len, unsigned slot,
	    const char *id, const char *sender, const char *nexthop);
int	rjob_add_rcpt(char *buf, size_t cap, size_t *len, const char *rcpt);
/* buf[len] must be NUL (fdpass_recv_max leaves it so); in place. */
int	rjob_decode(char *buf, size_t len, struct rjob *);

int	rjob_result_encode(const struct rjob_result *, char *buf, size_t cap,
	    size_t *len);
int	rjob_end_encode(const struct rjob_end *, char *buf, size_t cap,
	    size_t *len);
/*
 * A packet from the other end: *kind is 'R' (result filled) or 'E' (end
 * filled).  0, or -1 with errno EBADMSG.
 */
int	rjob_reply_decode(char *buf, size_t len, int *kind,
	    struct rjob_result *, struct rjob_end *);
/* 1 when s is a dsn code of the class that status needs. */
int	rjob_dsn_ok(const char *s, char status);

#endif
