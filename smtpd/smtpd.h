/*
 * smtpd: declarations shared by the files of the SMTP server and the
 * processes that run them (file names say which: smtpd/sources.mk):
 *
 *   smtpd (per connection)  smtpd.c; the monitor, root, no network byte:
 *                           monitor*.c
 *   session                 chrooted, smtpd_user: session*.c and
 *                           smtpd_conn.c, forked by a per-connection
 *                           smtpd, by the resident, or by smtpsession
 *   per-message queue child forked by a monitor: monitor_queue.c
 *   smtpd -R, the resident  resident*.c, the monitor of all its sessions
 *                           (monitor*.c)
 *   AUTH child              forked by the resident per AUTH:
 *                           resident_auth.c
 *   queue writer            a resident's long-lived child: qwriter.c
 *   smtpsession             smtpsession.c: forks a resident's plaintext
 *                           sessions (session_handoff.c is their TLS)
 *
 * A session and its monitor talk over lib/ipc/chan.h (below).
 */
#ifndef FACTEUR_SMTPD_H
#define FACTEUR_SMTPD_H
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"
#include "buf.h"
#include "chan.h"
#include "conf.h"
#include "lineio.h"
#include "queue_owner.h"
#include "queueid.h"
#include "smtp_cmd.h"
#include "smtp_data.h"

enum smtpd_mode { SMTPD_MX, SMTPD_SUBMISSION, SMTPD_SMTPS };

struct tls_server;
struct tls_conn;

/* Settings both processes read before the split. */
struct smtpd_opts {
	enum smtpd_mode	 mode;
	int		 debug;
	int		 overloaded;
	const char	*confpath;
	pid_t		 monitor;	/* pid of the monitor */
	char		 peer_addr[64];	/* numeric, "local" or "unknown" */
	/* NULL: no TLS; in mx mode loaded only, built at STARTTLS */
	struct tls_server *tls;
	/*
	 * smtpsession: no TLS context in this process; STARTTLS hands the
	 * connection to the resident, which continues it with TLS.
	 */
	int		 tls_handoff;
	/*
	 * Looked up once, as root, before the split (a resident: once for
	 * all its connections), so that no child parses the passwd database:
	 * smtpd_user's ids, and the queue owner's (for the queue child).
	 */
	int		 ids_known;
	uid_t		 user_uid;
	gid_t		 user_gid;
	struct queue_owner queue_owner;
};

/* A short reply straight on fd 1, before any session exists; exits. */
void	smtpd_refuse(const char *line, int code) __attribute__((noreturn));
/* 1 when the connection can have TLS (a context, or the handoff). */
int	smtpd_tls_usable(const struct smtpd_opts *);
/*
 * Before a session talks on fds 0 and 1 (smtpd_conn.c): 421 and exit when
 * overloaded or when the mode's TLS is missing; the client's address into
 * opts; TCP_NODELAY.
 */
void	smtpd_prepare(const struct conf *, struct smtpd_opts *);
/* The numeric address of fd's peer: "local" (AF_UNIX) or "unknown". */
void	smtpd_peer_of(int fd, char *out, size_t outlen);
/*
 * Runs one connection on fds 0 and 1 (smtpd.c): the session in a child,
 * the monitor here; returns the monitor's exit code.
 */
int	smtpd_connection(const struct conf *, struct smtpd_opts *);

/* ---- resident mode (resident.c) ---- */

#define SMTPD_RESIDENT_FD	3	/* the master's channel */
#define SMTPD_RESIDENT_MAX	100000	/* connections open at once */

/*
 * Serves the connections the master hands over chan; the exit code.
 * conftext: the configuration's text, as parsed, for smtpsession and
 * its restarts (NULL: sessions are all forked here); freed at the end.
 */
int	resident_run(const struct conf *, struct smtpd_opts *, int chan,
	    char *conftext, size_t conflen);

/* ---- relay control (monitor_relay.c) ---- */

/* 0, or -1 with the offending word in err: mynetworks is checked. */
int	monitor_relay_conf_check(const struct conf *, char *err, size_t errlen);
/* 1 if the numeric address addr is in mynetworks. */
int	monitor_relay_mynetworks(const struct conf *, const char *addr);
/* 1 if domain may be a local one: never an address literal. */
int	monitor_relay_domain_local(const struct conf *, const char *domain);
/* 1 if the local part routes elsewhere: '@', '%' or '!' in it. */
int	monitor_relay_local_trick(const char *local);

/* ---- the channel between session and monitor (lib/ipc/chan.h) ---- */

/*
 * A SOCK_SEQPACKET pair (chan_pair); frames of at most SMTPD_CHAN_MAX
 * octets.  Requests (first field) and their replies; adding a request is
 * adding a row to the monitor's tables (monitor_check.c: its form and
 * when it is allowed; monitor.c: its handler) and a caller in the
 * session:
 *   MAIL <path> UTF8|ASCII RET ENVID -> OK | DENIED  (the sender;
 *                              monitor_tx.c; RET, ENVID as sent or "")
 *   RCPT <path> NOTIFY ORCPT -> OK | NOUSER | NODOMAIN | TEMP
 *   MSGSTART queueid         -> OK + 1 fd (the message pipe) | TEMP
 *   MSGEND                   -> EXIT code    (the monitor wrote the
 *                               envelope it approved)
 *   MSGABORT                 -> OK (no envelope: nothing queued)
 *   AUTH user password       -> OK | BAD | CLOSE (bad, too many) | TEMP
 *   STARTTLS errors Hname    -> OK | NOTLS   (+ the client's fd; only
 *                               from a session of smtpsession)
 * RCPT also answers RELAY (a remote domain, the client may relay) and
 * TRICK (routing in the local part); NODOMAIN is a refused relay.  A
 * frame the monitor cannot take gets the session killed.
 */
#define SMTPD_CHAN_MAX	2048	/* octets of a frame's payload */
#define SMTPD_SESSION_CHAN_FD	3	/* a session's end of its channel */
/* smtpsession's descriptors (smtpsession.c, resident_smtpsession.c) */
#define SMTPSESSION_CHAN_FD	3	/* its channel to the resident */
#define SMTPSESSION_CONF_FD	4	/* the configuration text, read once */

/* ---- the monitor (monitor.c) ---- */

/* Runs the monitor for the session child `pid`; returns the exit code. */
int	monitor_run(const struct conf *, const struct smtpd_opts *, int sock,
	    pid_t session);

/* ---- the session (session.c, session_cmd.c, session_data.c) ---- */

enum smtpd_state {
	ST_GREETED	= 0x01,	/* no HELO/EHLO yet */
	ST_HELO		= 0x02,	/* ready for MAIL */
	ST_MAIL		= 0x04,	/* MAIL given, no recipient */
	ST_RCPT		= 0x08,	/* at least one recipient */
	ST_BDAT		= 0x10	/* inside a BDAT transfer */
};
#define ST_ANY	(ST_GREETED | ST_HELO | ST_MAIL | ST_RCPT | ST_BDAT)

struct smtpd_rcpt {
	char	text[ADDR_TEXT_MAX + 1];
};

struct smtpd_session {
	const struct conf	*conf;
	const struct smtpd_opts	*opts;
	struct chan		 ipc;		/* to the monitor */
	struct lineio		 io;
	struct buf		 line;
	enum smtpd_state	 state;
	int			 quit;		/* close after the replies */
	int			 esmtp;		/* EHLO (not HELO) */
	int			 tls;		/* TLS is active */
	int			 authed;	/* AUTH done */
	struct tls_server	*tlsctx;	/* NULL: none in this process */
	int			 starttls;	/* STARTTLS may be offered */
	int			 tls_broken;	/* the context failed to build */
	struct tls_conn		*conn;		/* the TLS connection */
	char			 tls_desc[128];	/* tls_describe() */
	char			 auth_user[SMTP_HELO_MAX + 1];
	char			 auth_mech[16];	/* "PLAIN", "LOGIN" once authed */
	int			 errors;
	int			 bare_normalize;
	time_t			 deadline;	/* session end */
	char			 helo[SMTP_HELO_MAX + 1];
	char			 peer_addr[64];
	char			 peer_name[256];	/* "" unless looked up */
	/* the transaction */
	struct smtp_mail_args	 mail;
	struct smtpd_rcpt	*rcpts;
	size_t			 nrcpt;
	/* message in progress (session_data.c) */
	char			 id[QUEUEID_LEN + 1];
	int			 msg_fd;	/* the message pipe, or -1 */
	struct smtp_data	 dec;
	struct buf		 out;
	unsigned long long	 size_limit;
	int			 failed;	/* write to enqueue failed */
	int			 bdat_bad;	/* a BDAT chunk was refused */
	size_t			 hdr_start;	/* in out: the client's header */
	int			 hdr_pending;	/* Message-ID/Date not decided */
};

void	session_run(const struct conf *, const struct smtpd_opts *, int sock);
/*
 * The parts of session_run: session_start fills s, drops the privileges
 * (chroot, smtpd_user) and sets up the lineio; session_loop reads and
 * runs commands until the session ends.
 */
void	session_start(struct smtpd_session *, const struct conf *,
	    const struct smtpd_opts *, int sock);
void	session_loop(struct smtpd_session *) __attribute__((noreturn));

/*
 * TLS in the session, one file per program: session_tls.c (OpenSSL, in
 * this process) and session_handoff.c (no TLS library: the handoff).
 *   session_tls_accept: smtps, the handshake before the greeting;
 *   session_starttls: STARTTLS once session_auth_starttls allowed it;
 *   session_tls_end: close_notify at the end, if TLS is on.
 */
void	session_tls_accept(struct smtpd_session *);
void	session_starttls(struct smtpd_session *);
void	session_tls_end(struct smtpd_session *);

/*
 * What a session that said STARTTLS in smtpsession hands on to the one
 * that continues it in the resident (resident_conn.c), which says 220 and
 * does the handshake.
 */
struct session_handoff {
	int	 errors;
	time_t	 deadline;
	char	 peer_name[256];
};
/* In smtpd: continue a handed-over session with the TLS handshake. */
void	session_resume_tls(const struct conf *, const struct smtpd_opts *,
	    int sock, const struct session_handoff *)
	    __attribute__((noreturn));
/* Queues a reply line; "code enh text" (enh may be NULL). */
void	session_reply(struct smtpd_session *, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Counts an error reply; past smtpd_error_limit closes with 421. */
void	session_error(struct smtpd_session *, int code, const char *enh,
	    const char *text);
void	session_reset(struct smtpd_session *);
int	session_flush(struct smtpd_session *);
/* Sets the read timeout to min(t, time left in the session). */
void	session_timeout(struct smtpd_session *, long long seconds);
void	session_close(struct smtpd_session *, int code, const char *enh,
	    const char *text) __attribute__((noreturn));

/* 1 when AUTH may be offered now (TLS active or allowed plaintext). */
int	session_auth_offered(const struct smtpd_session *);
/*
 * Reads one line of a SASL exchange into line (max SASL_LINE_MAX + 2);
 * its length without the line ending, or SIZE_MAX when it was too long.
 */
size_t	session_read_sasl(struct smtpd_session *, struct buf *line);

/* STARTTLS and AUTH (session_auth.c). */
void	session_auth_starttls(struct smtpd_session *);
void	session_auth_cmd(struct smtpd_session *, const char *arg, size_t n);

/* Dispatches one command line (terminator removed) through the table. */
void	session_cmd_dispatch(struct smtpd_session *, const char *line, size_t n);

/* The client's verified host name, or "" (session_dns.c). */
void	session_dns_reverse(const char *resolver, const char *addr, char *out,
	    size_t outlen);

/*
 * The test-only subverted build (SMTPD_SUBVERTED, session_subvert.c):
 * SESSION_CHECKS is 0 there, and the session skips every check it makes
 * before asking its monitor; in every other build it is 1.
 */
#ifdef SMTPD_SUBVERTED
#define SESSION_CHECKS	0
void	session_subvert_xmon(struct smtpd_session *, const char *, size_t);
void	session_subvert_xmonsock(struct smtpd_session *, const char *, size_t);
void	session_subvert_xfdwrite(struct smtpd_session *, const char *, size_t);
void	session_subvert_xfdclose(struct smtpd_session *, const char *, size_t);
void	session_subvert_xrcpt(struct smtpd_session *, const struct mailpath *);
#else
#define SESSION_CHECKS	1
#endif

/*
 * The Received field (session_received.c): written into out for the
 * message in progress; 0, or -1.  session_received_helo: the HELO
 * argument as the field shows it, into out (outlen > 0): 1 when it is a
 * domain or an address literal, written as is; 0 when it is written
 * with every octet a comment cannot hold replaced by '?'.
 */
int	session_received(const struct smtpd_session *, const char *proto,
	    struct buf *out);
int	session_received_helo(const char *helo, char *out, size_t outlen);
/* The protocol name (ESMTPSA...), and today's date as RFC 5322 has it. */
const char *session_proto(const struct smtpd_session *);
int	session_date(char *date, size_t len);

/* DATA and BDAT (session_data.c). */
void	session_data_cmd(struct smtpd_session *);
void	session_bdat_cmd(struct smtpd_session *, unsigned long long size, int last);
void	session_data_abort(struct smtpd_session *);

#endif
