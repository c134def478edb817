/*
 * smtp_client: what the files of one SMTP client process share: the
 * worker's loop (smtp_worker.c), a connection to one server
 * (smtp_conn.c: connect, greeting, EHLO, STARTTLS, AUTH), the
 * transactions (smtp_txn.c), the message body (smtp_body.c) and the
 * reads and writes under deadlines (smtp_io.c).
 *
 * An SMTP client process is forked by rspawn for one destination
 * (nexthop) and runs as smtp_user in smtp_chroot; it delivers that
 * destination's requests one after the other and may keep its last
 * connection open for the next one (the connection cache).  Its inputs:
 * the request frames from rspawn (trusted: rspawn built them), the
 * message's descriptor (read-only), and the bytes of remote servers (not
 * trusted at all: every reply goes through lib/smtp/smtp_reply.c).
 */
#ifndef FACTEUR_SMTP_CLIENT_H
#define FACTEUR_SMTP_CLIENT_H
#include <sys/types.h>

#include <netinet/in.h>
#include <stddef.h>

#include "dns_wire.h"
#include "lineio.h"
#include "remote_job.h"
#include "smtp_reply.h"
#include "tls.h"

#define SMTP_HOSTS_MAX	100	/* smtp_mx_address_limit's upper bound */
#define SMTP_TLSA_MAX	16	/* TLSA records of one host */
#define SMTP_ADDR_TEXT	46	/* INET6_ADDRSTRLEN */

struct smtp_host {
	char		 name[DNS_NAME_MAX + 1];	/* host name, or the address */
	char		 addr[SMTP_ADDR_TEXT];
	unsigned	 port;
	int		 level;		/* enum tls_level for this host */
	size_t		 ntlsa;
	struct tls_tlsa	 tlsa[SMTP_TLSA_MAX];	/* level dane */
};

/* One recipient's outcome, sent back as an R frame. */
struct smtp_rres {
	char	 status;		/* 0 until decided; K, Z or D */
	char	 dsn[12];
	char	 relay[RJOB_RELAY_MAX + 1];
	char	 text[RJOB_TEXT_MAX + 1];
	int	 dsn_peer;		/* the server listed DSN */
};

struct smtp_job {
	struct rjob		 rj;		/* points into msg */
	struct chan_msg		*msg;
	int			 msgfd;
	struct smtp_host	*host;
	size_t			 nhost;
	struct smtp_rres	*res;		/* rj.nrcpt of them */
	int			 site;		/* no host could be talked to */
	long long		 t0;		/* fd_now_ms() at the start */
	long long		 deadline;	/* smtp_delivery_timeout */
	long long		 conn_ms, xfer_ms;
	unsigned long		 conn_use;	/* deliveries over the connection */
	/* the message (smtp_body.c) */
	long long		 wire_size;	/* octets with CRLF, unstuffed */
	int			 eightbit;	/* a byte >= 0x80 anywhere */
	int			 utf8_sender;	/* non-ASCII envelope sender */
};

struct smtp_settings {
	const char		*helo_name;
	int			 connect_ms, helo_ms, starttls_ms, mail_ms;
	int			 rcpt_ms, data_init_ms, data_xfer_ms;
	int			 data_done_ms, rset_ms, quit_ms;
	long long		 delivery_ms;
	unsigned		 reuse_limit;
	struct tls_client	*tls;		/* NULL: no STARTTLS possible */
	const char		*auth_user;	/* NULL: no AUTH */
	const char		*auth_pass;
	int			 debug;
};

struct smtp_conn {
	int			 fd;		/* -1: none */
	struct lineio		 io;
	struct tls_conn		*tls;
	struct smtp_ext		 ext;
	int			 esmtp;
	int			 usable;	/* may carry another transaction */
	unsigned		 uses;		/* transactions */
	unsigned long		 requests;	/* deliveries (requests) */
	const struct smtp_host	*host;		/* while delivering */
	char			 name[DNS_NAME_MAX + 1];
	char			 addr[SMTP_ADDR_TEXT];
	unsigned		 port;
	char			 relay[RJOB_RELAY_MAX + 1];	/* name[addr]:port */
	char			 tls_info[160];	/* for the log; "" plaintext */
};

/* smtp_worker.c */
/* A log line, sent to rspawn to log (the process has no log of its own). */
void	smtp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The worker: serves jobs from rspawn on chan until EOF; never returns. */
/*
 * smtp_subvert.c: in the test-only build (SMTP_CLIENT_SUBVERTED), sends
 * the frames a server's reply scripted instead of the results and
 * returns 1; otherwise returns 0 and does nothing.
 */
int	smtp_subvert(struct chan *, const struct smtp_job *);
/* The same build's rspawn: passes a client's "X" frame on to queued. */
int	rspawn_subvert(const struct chan_msg *);
void	smtp_worker_main(int chan, const struct smtp_settings *)
	    __attribute__((noreturn));

/* smtp_io.c */
/*
 * Reads one reply within ms (and the job's deadline): 0 with r filled,
 * or -1 with the reason in err ("timed out", "lost connection", "malformed
 * reply: ..."); *timeout is set when it was a timeout.
 */
int	smtp_read_reply(struct smtp_conn *, struct smtp_reply *r, int ms,
	    long long deadline, char *err, size_t errlen, int *timeout);
/* Queues a command line (CRLF added). */
int	smtp_put(struct smtp_conn *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Sends what is queued within ms; 0 or -1. */
int	smtp_flush(struct smtp_conn *, int ms, long long deadline);
/* A command and its reply: smtp_put, smtp_flush, smtp_read_reply. */
int	smtp_command(struct smtp_conn *, struct smtp_reply *, int ms,
	    long long deadline, char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));
/* "host NAME[ADDR] said: REPLY (in reply to WHAT command)". */
void	smtp_said(const struct smtp_conn *, const struct smtp_reply *,
	    const char *what, char *out, size_t n);
/* Closes the connection (TLS first); sends QUIT when polite. */
void	smtp_close(struct smtp_conn *, const struct smtp_settings *,
	    int polite);

/* smtp_conn.c */
/*
 * Opens a connection to host h of job j: TCP, greeting, EHLO (HELO when
 * refused), STARTTLS as h->level wants, AUTH when the settings hold a
 * credential.  0 with c ready for MAIL; -1 with the reason in why (dsn
 * in dsn) and c closed.  *tls_failed is set when a may-level handshake
 * failed, so that the caller tries the same host again in plaintext.
 */
int	smtp_conn_open(struct smtp_conn *, const struct smtp_settings *,
	    struct smtp_job *, const struct smtp_host *h, int no_tls,
	    char *dsn, char *why, size_t whylen, int *tls_failed);
/* A cached connection checked with RSET; 0 usable, -1 closed. */
int	smtp_conn_reset(struct smtp_conn *, const struct smtp_settings *,
	    long long deadline);

/* smtp_txn.c */
/*
 * Delivers the job's undecided recipients over c, in as many transactions
 * as 452 replies need.  Sets each recipient's result.
 */
void	smtp_txn_run(struct smtp_conn *, const struct smtp_settings *,
	    struct smtp_job *);
/* Sets recipient i's result (dsn from the text when dsn is NULL). */
void	smtp_result(struct smtp_job *, size_t i, char status, const char *dsn,
	    const char *relay, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* smtp_body.c */
/* Reads the message once: wire size, 8-bit bytes.  0 or -1 (errno). */
int	smtp_body_scan(struct smtp_job *);
/*
 * Sends the message as DATA content (CRLF, dot-stuffed) and the final
 * dot, each write within the transfer timeout.  0, or -1 with the
 * reason in err (a read error of the message, or the connection).
 */
int	smtp_body_send(struct smtp_conn *, const struct smtp_settings *,
	    struct smtp_job *, char *err, size_t errlen, int *local_error);

#endif
