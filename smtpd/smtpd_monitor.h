/*
 * smtpd_monitor.h: the monitor's state and the parts of it that the two
 * ways of running a monitor share.  A monitor answers one session's
 * requests (monitor.c).  It runs either
 *   - in a process of its own per connection (monitor_run: smtpd started
 *     by inetd, systemd, tcpserver or the master per connection), where
 *     waiting is allowed: AUTH is checked in place and the queue child is
 *     waited for; or
 *   - inside the resident smtpd, one monitor per connection it serves
 *     (resident_conn.c), where nothing may wait: AUTH is checked in a
 *     child (resident_auth.c) and a message is queued by a long-lived
 *     queue writer (resident_qpool.c, qwriter.c) or a child, and the
 *     replies go out when they come.
 */
#ifndef FACTEUR_SMTPD_MONITOR_H
#define FACTEUR_SMTPD_MONITOR_H
#include <sys/types.h>

#include "addr.h"
#include "conf.h"
#include "queue_path.h"
#include "queueid.h"
#include "smtpd.h"
#include "table.h"
#include "users.h"

struct rconn;

struct monitor {
	const struct conf	*conf;
	const struct smtpd_opts	*opts;
	struct chan		 chan;
	pid_t			 session;
	const struct table	*aliases;
	int			 aliases_broken;
	const struct table	*valias;	/* virtual_alias_maps */
	int			 valias_broken;
	pid_t			 enqueue;	/* -1 when none */
	char			 id[QUEUEID_LEN + 1];
	int			 mynet;		/* client in mynetworks */
	unsigned		 fails;		/* AUTH failures */
	int			 authed;
	char			 user[USER_NAME_MAX + 1];	/* AUTH's */
	const struct table	*senders;	/* sender_login_file */
	int			 senders_broken;
	struct rconn		*rc;	/* NULL: a monitor of its own */
	/*
	 * The transaction as approved here (monitor_tx.c): the envelope is
	 * written from it, never by the session.  "F<sender>\0" once MAIL
	 * was approved, then "T<rcpt>\0" for each approved recipient.
	 */
	int			 tx_open;	/* a sender was approved */
	int			 tx_utf8;	/* MAIL said SMTPUTF8 */
	size_t			 tx_nrcpt;
	struct buf		 tx_env;
	/*
	 * The DSN parameters (RFC 3461) as approved here, decoded: RET and
	 * ENVID of MAIL, NOTIFY and ORCPT of each recipient recorded in
	 * tx_env (tx_cap of room); written after the envelope as its
	 * extension (lib/queue/qmail_env.h).
	 */
	int			 tx_ret;
	char			 tx_envid[DSN_ENVID_MAX + 1];
	int			*tx_notify;
	char		       **tx_orcpt;
	size_t			 tx_cap;
	/* the envelope pipe's write end while a message is queued, or -1 */
	int			 env_w;
	size_t			 env_off;	/* octets of tx_env written */
	int			 env_sent;	/* all of it, and closed */
};

/* The transaction (monitor_tx.c). */
void	monitor_tx_init(struct monitor *);
/* Forgets the transaction (a new MAIL, a message done, STARTTLS). */
void	monitor_tx_reset(struct monitor *);
void	monitor_tx_free(struct monitor *);
/*
 * MAIL <path> UTF8|ASCII RET ENVID -> OK | DENIED; RCPT <path> NOTIFY
 * ORCPT -> see smtpd.h.  The DSN fields are as the client sent them
 * ("" when not given), parsed here again.
 */
int	monitor_tx_mail(struct monitor *, struct chan_msg *);
int	monitor_tx_rcpt(struct monitor *, struct chan_msg *);
/* At MSGEND: the envelope is complete (its final NUL); -1 when none. */
int	monitor_tx_seal(struct monitor *);
/*
 * Writes what is left of the sealed envelope into env_w and closes it
 * once all is written: 1 when done (or the reader is gone: its result
 * tells), 0 when the pipe is full (env_w non-blocking: call again at
 * POLLOUT).
 */
int	monitor_tx_flush(struct monitor *);
/* Closes env_w without an envelope: the message is not queued. */
void	monitor_tx_drop(struct monitor *);

/*
 * monitor_local.c: for RCPT, "OK", "NOUSER" or "TEMP" for a recipient
 * this host delivers (virtual aliases, virtual domains, local users), or
 * NULL for one of another domain (relay control decides).
 */
const char	*monitor_local_rcpt(const struct monitor *, const char *local,
		    const char *domain);

/* Answers one request from the session; -1: it must be killed. */
int	monitor_request(struct monitor *, struct chan_msg *);
/* Sends a reply of one or two fields (b may be NULL). */
int	monitor_reply(struct monitor *, const char *a, const char *b);

/*
 * The requests (smtpd.h lists them with their replies), checked by
 * monitor_check (monitor_check.c) before monitor_request hands them to
 * their handlers.
 */
enum monitor_reqtype {
	MREQ_MAIL,
	MREQ_RCPT,
	MREQ_MSGSTART,
	MREQ_MSGEND,
	MREQ_MSGABORT,
	MREQ_AUTH,
	MREQ_STARTTLS,
	MREQ_COUNT
};
/*
 * The request a received frame is, when the monitor may take it in its
 * state (its fields and descriptors of the right count and form): its
 * type, or -1 with *why (for the log): the session must be killed.
 * Changes nothing; the caller closes the frame's descriptors on -1.
 */
int	monitor_check(const struct monitor *, const struct chan_msg *,
	    const char **why);
/* The name of a request type, for logs. */
const char *monitor_reqname(int);
/* A field from the session: printable, no control byte, at most max. */
int	monitor_field_ok(const char *, size_t max);
/*
 * The path of a MAIL (t MREQ_MAIL: the null path allowed, UTF-8 as its
 * second field says) or RCPT request (MREQ_RCPT: a local part, the
 * domain may be missing for <postmaster>, UTF-8 as the transaction's
 * MAIL said), parsed into p: 0, or -1.
 */
int	monitor_path(const struct monitor *, const struct chan_msg *, int t,
	    struct mailpath *p);
/* Submission and smtps: 1 while nothing may be asked before AUTH. */
int	monitor_needs_auth(const struct monitor *);
/* 1 while a message is being queued (MSGSTART answered, no result yet). */
int	monitor_queue_busy(const struct monitor *);
/* 1 when MSGSTART may start a message: a sender and a recipient approved. */
int	monitor_tx_ready(const struct monitor *);
/* STARTTLS's error count: 0 with *errors, or -1 (malformed, too many). */
int	monitor_starttls_errors(const struct monitor *, const char *,
	    long long *errors);
/* The client's host name a STARTTLS hands on, at most this long. */
#define MONITOR_PEER_NAME_MAX \
	(sizeof(((struct session_handoff *)0)->peer_name) - 1)

/*
 * 1 when a message can be queued by a process of this identity without
 * an exec: no smtpd_queue_filter, and root or the owner of queue_dir.
 */
int	monitor_queue_in_process(const struct conf *);
/*
 * In a process about to queue messages: opens queue_dir into q, takes
 * the identity of its owner (queue_identity, as enqueue does) and tells
 * the uid to record as the injector.  0, or -1 when this process cannot
 * queue in place (q is then closed).
 */
int	monitor_queue_open(const struct conf *, const struct smtpd_opts *,
	    struct queue *q, uid_t *injector);
/* In the child made for one message: queue it; never returns. */
void	monitor_queue_child(struct monitor *, int msg_r, int env_r)
	    __attribute__((noreturn));

/* The queue requests (monitor_queue.c); -1: kill the session. */
int	monitor_queue_start(struct monitor *, struct chan_msg *);
int	monitor_queue_end(struct monitor *, struct chan_msg *);
int	monitor_queue_abort(struct monitor *, struct chan_msg *);
/* Waits for the queue child: its exit code (111 if killed), -1 if none. */
int	monitor_queue_reap(struct monitor *);
/*
 * The process that queued m's message died without telling its result:
 * 0 when the message was committed all the same (env/<id> holds the
 * envelope this monitor wrote; made durable here with an fsync of env/),
 * so the client may be told 250; else 111.
 */
int	monitor_queue_lost(struct monitor *);

/*
 * Resident mode (resident_conn.c), for the requests that cannot be answered
 * at once.  resident_conn_queue_start takes the two read ends (closes them in any
 * case): 0 when a writer or a child has them, -1 (reply TEMP).
 * resident_conn_queue_end: MSGEND (abort 0: "EXIT code" owed) or MSGABORT
 * ("OK" owed), sent when the queueing ends.  resident_auth_start: AUTH, checked in
 * a child.  Each returns -1 when the session must be killed.
 */
int	resident_conn_queue_start(struct monitor *, int msg_r, int env_r);
int	resident_conn_queue_end(struct monitor *, int abort);
int	resident_auth_start(struct monitor *, struct chan_msg *);
/*
 * STARTTLS from a session of smtpsession, with the client's descriptor:
 * the session goes on in a process of the resident's own image ("OK"),
 * or stays in plaintext ("NOTLS"); -1 from any other session.
 */
int	resident_conn_starttls(struct monitor *, struct chan_msg *);

#endif
