/*
 * remote_job: the frames of the remote delivery, on lib/ipc/chan.h
 * channels (SOCK_SEQPACKET, payload at most RJOB_FRAME_MAX):
 *
 *   request  J, slot, queue id, sender, nexthop, ret, envid, recipients
 *            with the message's descriptor (read-only); the recipients
 *            are one field, one line each, separated by LF; a line is
 *            "address TAB notify TAB orcpt" (none of them holds a
 *            control byte)
 *   result   R, slot, index, K|Z|D, dsn, relay, text, dsn peer
 *   end      E, slot, site, wait ms, connect ms, transfer ms, conn use
 *
 * queued sends requests to rspawn, one per destination (nexthop,
 * lib/smtp/smtp_nexthop.h) and message, at most RJOB_RCPT_MAX recipients
 * and what fits in one frame; rspawn hands the same request (slot 0) to
 * the SMTP client process that delivers it.  Back come one result per
 * recipient (index: its place in the request, each exactly once) and
 * then one end: site is 1 when no host of the destination could be
 * talked to (queued then backs the whole destination off), 2 when the
 * request was not tried because the one before it at the same client
 * found the destination down (its recipients are deferred; the
 * destination's state stays as that one left it), else 0; the times
 * split the delivery for the log's delays=, and conn use is how many
 * deliveries the connection has carried with this one (1: it was opened
 * for it; 0: none was made), the log's conn_use=.  dsn is the RFC 3463
 * code whose class matches the status (2 for K, 4 for Z, 5 for D);
 * relay is "host[address]:port" or "none"; text is one printable line.
 *
 * The DSN parameters (RFC 3461, lib/dsn/dsn.h) the sender gave: ret is
 * "", "FULL" or "HDRS"; envid "" or the decoded ENVID; per recipient,
 * notify "" or NOTIFY's canonical text (dsn_notify_text), orcpt "" or
 * the decoded ORCPT ("rfc822;a@b").  The SMTP client passes them on to
 * a server that lists DSN.  dsn peer is "1" when the server that
 * answered listed DSN and so was given them (a success is then that
 * server's to report, RFC 3461 6.2.2), else "0".
 *
 * Each side trusts the other less than itself: rspawn does not trust the
 * SMTP client, queued does not trust rspawn.  A decoder refuses any frame
 * that is not exactly this (field count, tags, numbers without sign or
 * leading zero, control bytes, lengths past the limits): the sender is
 * then treated as broken.
 */
#ifndef FACTEUR_REMOTE_JOB_H
#define FACTEUR_REMOTE_JOB_H
#include <stddef.h>

#include "chan.h"

#define RJOB_FRAME_MAX		CHAN_FRAME_MAX	/* payload octets of a frame */
#define RJOB_RCPT_MAX		1000	/* recipients of one request */
#define RJOB_SLOT_MAX		1000	/* slots are 0 .. RJOB_SLOT_MAX - 1 */
#define RJOB_TEXT_MAX		512	/* octets of a result's text */
#define RJOB_RELAY_MAX		300	/* octets of a relay */
#define RJOB_MS_MAX		999999999UL	/* a number in an end frame */
#define RJOB_REQ_FIELDS		8	/* fields of a request */
#define RJOB_RES_FIELDS		8	/* fields of a result */
#define RJOB_END_FIELDS		7	/* fields of an end */

struct rjob {
	unsigned	 slot;
	const char	*id;
	const char	*sender;
	const char	*nexthop;
	int		 ret;		/* enum dsn_ret */
	const char	*envid;		/* "": none */
	const char	*rcpt[RJOB_RCPT_MAX];
	int		 notify[RJOB_RCPT_MAX];	/* DSN_NOTIFY_* bits, 0: none */
	const char	*orcpt[RJOB_RCPT_MAX];	/* "": none */
	size_t		 nrcpt;
};

/* A request being built: the fields to hand to chan_send. */
struct rjob_out {
	const char	*f[RJOB_REQ_FIELDS];
	char		 slot[16];
	char		 rcpts[RJOB_FRAME_MAX + 1];
	size_t		 rlen;		/* octets in rcpts */
	size_t		 fixed;		/* payload octets of the other fields */
	size_t		 nrcpt;
};

struct rjob_result {
	unsigned	 slot;
	size_t		 index;
	char		 status;	/* K, Z or D */
	const char	*dsn;
	const char	*relay;
	const char	*text;
	int		 dsn_peer;	/* the server listed DSN */
};

#define RJOB_SITE_UP		0
#define RJOB_SITE_DOWN		1
#define RJOB_SITE_UNTRIED	2

struct rjob_end {
	unsigned	 slot;
	int		 site;		/* RJOB_SITE_* */
	unsigned long	 wait_ms, conn_ms, xfer_ms;
	unsigned long	 conn_use;
};

/* The fields of a result or an end frame, ready for chan_send. */
struct rjob_fields {
	const char	*f[8];
	int		 nf;		/* RJOB_RES_FIELDS or RJOB_END_FIELDS */
	char		 num[5][16];
	char		 status[2];
};

/*
 * Request encoding, in two steps so that the sender can fill a frame:
 * rjob_begin sets the fixed fields (ret: enum dsn_ret; envid NULL or ""
 * for none), rjob_add_rcpt one recipient more (notify: DSN_NOTIFY_*
 * bits, 0 for none; orcpt NULL or "" for none); the frame is then o->f,
 * RJOB_REQ_FIELDS fields.  Each returns 0, or -1 with errno EMSGSIZE
 * (no room: o is unchanged) or EINVAL (a value the decoder would refuse).
 */
int	rjob_begin(struct rjob_out *o, unsigned slot, const char *id,
	    const char *sender, const char *nexthop, int ret,
	    const char *envid);
int	rjob_add_rcpt(struct rjob_out *o, const char *rcpt, int notify,
	    const char *orcpt);
/* A received request (m's fields are split in place). */
int	rjob_decode(struct chan_msg *m, struct rjob *);

/* Result and end frames: 0 with out->f (out->nf fields), or -1
 * (EINVAL). */
int	rjob_result_fields(const struct rjob_result *, struct rjob_fields *out);
int	rjob_end_fields(const struct rjob_end *, struct rjob_fields *out);
/*
 * A frame from the other end: *kind is 'R' (result filled) or 'E' (end
 * filled).  0, or -1 with errno EBADMSG.  m's descriptors are not
 * looked at: the caller refuses a frame that carries any.
 */
int	rjob_reply_decode(const struct chan_msg *m, int *kind,
	    struct rjob_result *, struct rjob_end *);
/* 1 when s is a dsn code of the class that status needs. */
int	rjob_dsn_ok(const char *s, char status);

/* A number field (here and in remote/smtp_wire.c): decimal, no sign, no
 * leading zero, at most max; 0, or -1. */
int	rjob_num_parse(const char *, unsigned long max, unsigned long *);

#endif
