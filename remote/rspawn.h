/*
 * rspawn: what rspawn.c (start-up, the loop, the socket to queued),
 * rspawn_resolve.c (a request's nexthop to the hosts to try),
 * rspawn_policy.c (TLS levels, relay credentials, this host's own
 * addresses) and rspawn_pool.c (the SMTP client processes) share.
 */
#ifndef FACTEUR_RSPAWN_H
#define FACTEUR_RSPAWN_H
#include <sys/queue.h>
#include <sys/types.h>

#include <poll.h>

#include "chan.h"
#include "dns.h"
#include "remote_job.h"
#include "smtp_client.h"
#include "smtp_nexthop.h"

#define RSPAWN_MX_MAX		20	/* MX hosts considered */
#define RSPAWN_ADDRS_MAX	8	/* addresses kept per host and family */
#define RSPAWN_LOCAL_MAX	256	/* addresses this host listens on */
#define RSPAWN_WORKER_JOBS	1000	/* requests one client serves at most */
#define RSPAWN_LOG_LINES	64	/* log lines one client may send per request */
#define RSPAWN_WATCHDOG_MS	60000	/* past smtp_delivery_timeout: killed */

struct rreq;
struct rworker;

/* An MX host of a request (or the nexthop host itself), being resolved. */
struct rmx {
	struct rreq	*req;
	char		 name[DNS_NAME_MAX + 1];
	unsigned	 pref;
	int		 st4, st6;		/* enum dns_status; -1 pending */
	int		 sec4, sec6;
	unsigned char	 v4[RSPAWN_ADDRS_MAX][4];
	unsigned char	 v6[RSPAWN_ADDRS_MAX][16];
	size_t		 n4, n6;
	int		 tlsa_state;		/* see rspawn_resolve.c */
	struct tls_tlsa	 tlsa[SMTP_TLSA_MAX];
	size_t		 ntlsa;
	int		 used;			/* has an address in the list */
};

struct rreq {
	TAILQ_ENTRY(rreq)	 entry;		/* waiting for a client */
	unsigned		 slot;
	struct chan_msg		*msg;		/* the request as it came */
	struct rjob		 rj;		/* points into msg */
	int			 msgfd;
	struct smtp_nexthop	 nh;
	int			 level;		/* the destination's TLS level */
	/* resolution (rspawn_resolve.c) */
	int			 pending;	/* DNS answers awaited */
	int			 mx_secure;
	int			 implicit;	/* no MX: the domain itself */
	struct rmx		*mx;
	size_t			 nmx;
	struct smtp_host	*host;
	size_t			 nhost;
	char			 fail;		/* 0, or Z/D: answer at once */
	char			 fail_dsn[12];
	char			 fail_text[RJOB_TEXT_MAX + 1];
	int			 fail_site;
	long long		 t_recv, t_resolved;	/* fd_now_ms() */
	/* at a client (rspawn_pool.c) */
	struct rworker		*w;
	unsigned char		*answered;
	size_t			 nanswered;
	unsigned		 nlogs;
};
TAILQ_HEAD(rreqq, rreq);

enum { RW_IDLE, RW_BUSY, RW_GONE };

struct rworker {
	TAILQ_ENTRY(rworker)	 entry;
	pid_t			 pid;
	struct chan		 ch;		/* fd -1 once closed */
	int			 state;
	char			 nexthop[NEXTHOP_TEXT_MAX + 1];
	struct rreq		*req;
	struct rreq		*next;		/* sent, waiting behind req */
	/* req's first deferral, for next if req finds the site down */
	char			 down_dsn[12];
	char			 down_text[RJOB_TEXT_MAX + 1];
	unsigned long		 jobs;
	long long		 idle_since, busy_since;
};
TAILQ_HEAD(rworkerq, rworker);

struct rlocal {
	int		 family;
	unsigned char	 addr[16];
	unsigned	 port;
};

struct rspawn {
	const struct conf	*conf;
	struct dns		*dns;
	struct smtp_settings	 set;		/* for the clients */
	int			 default_level;
	struct table		*policy;	/* smtp_tls_policy_file */
	struct table		*secrets;	/* smtp_sasl_password_file */
	size_t			 addr_limit;	/* smtp_mx_address_limit */
	const char		*myhostname;
	struct rlocal		 local[RSPAWN_LOCAL_MAX];
	size_t			 nlocal;
	int			 warned_ad;
	/* requests */
	struct rreq		*slot[RJOB_SLOT_MAX];
	struct rreqq		 waiting;	/* resolved, for a client */
	size_t			 nreq;
	/* clients */
	struct rworkerq		 idle, busy, gone;
	size_t			 nworkers, max_workers;
	size_t			 dest_limit;	/* clients per nexthop */
	long long		 cache_ms;	/* smtp_connection_cache_time */
};

/* rspawn.c */
/* Sends a frame to queued (blocking); a failure ends rspawn. */
void	rspawn_to_queued(const struct rjob_fields *);
/* Answers every recipient of req not yet answered, then the end. */
void	req_answer_all(struct rspawn *, struct rreq *, char status,
	    const char *dsn, const char *relay, const char *text, int site);
/* Sends the end of req and frees it (every recipient answered). */
void	req_end(struct rspawn *, struct rreq *, int site,
	    unsigned long conn_ms, unsigned long xfer_ms,
	    unsigned long conn_use);
/* A resolved request: answered at once, or on to a client. */
void	req_resolved(struct rspawn *, struct rreq *);
long long now_ms(void);

/* rspawn_resolve.c */
/* Starts the lookups of req's nexthop; req_resolved follows. */
void	resolve_start(struct rspawn *, struct rreq *);

/* rspawn_policy.c */
/* Reads the tables and this host's addresses (as root, before chroot). */
void	policy_load(struct rspawn *);
/* The TLS level for a nexthop (smtp_tls_policy_file, else the default). */
int	policy_tls_level(const struct rspawn *, const struct smtp_nexthop *);
/*
 * The credential for a nexthop, "user:password" copied into out (wiped
 * by the caller); 1 found, 0 none.
 */
int	policy_credential(const struct rspawn *, const struct smtp_nexthop *,
	    char *out, size_t n);
/* 1 when addr (4 or 16 octets) and port are one of our listeners. */
int	policy_is_local(const struct rspawn *, int family,
	    const unsigned char *addr, unsigned port);

/* rspawn_pool.c */
void	pool_init(struct rspawn *);
/* Gives waiting requests to clients as the limit allows. */
void	pool_start(struct rspawn *);
size_t	pool_pollfds(struct rspawn *, struct pollfd *, struct rworker **,
	    size_t max);
void	pool_ready(struct rspawn *, struct rworker *, const struct pollfd *);
void	pool_reap(struct rspawn *);
/* Retires clients idle too long, kills hung ones; ms to the next, -1. */
int	pool_expire(struct rspawn *);
/* At EOF from queued: every idle client retires. */
void	pool_retire_idle(struct rspawn *);
/* In a new client: forgets everything of rspawn's but its settings. */
void	rspawn_forget(struct rspawn *);

#endif
