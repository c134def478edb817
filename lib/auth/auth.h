/*
 * auth: the credentials check that a root monitor (smtpd's for submission,
 * pop3d's and imapd's) runs for the network-facing process, which never
 * sees the users table, and the failure policy around it.
 *
 * A monitor does, per connection:
 *
 *	unsigned fails = 0;
 *	...
 *	st = auth_check(conf, authcid, password, client_addr, &res);
 *	explicit_bzero(password, ...);
 *	if (st == AUTH_BAD) {
 *		fails++;
 *		auth_sleep_ms(auth_fail_delay_ms(conf, fails, &res));
 *		answer "bad credentials";
 *		if (auth_fail_too_many(conf, fails)) close the connection;
 *	} else if (st == AUTH_TEMP)
 *		answer "try again later" (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]);
 *	else
 *		start the session as res.user.uid, res.user.gid in res.user.home;
 *
 * An unknown user, a wrong password, an entry that cannot log in (locked,
 * unknown scheme, system account without PAM) and a uid that is refused
 * (0, below first_valid_uid) all give AUTH_BAD and cost the same: nothing
 * in the answer or its timing tells which.  auth_check logs, always naming
 * the user and the client address and never the password:
 *
 *	auth ok: user=<alice>, client=[192.0.2.1]
 *	auth failed: user=<alice>, client=[192.0.2.1], failures=3
 *	auth refused: user=<root>, client=[192.0.2.1]: uid 0 is never served
 *	auth temporary failure: user=<alice>, client=[192.0.2.1]: ...
 *
 * where failures= counts the failures of that client address within
 * auth_fail_window, across connections, this one included.
 *
 * Delays: auth_delay_ms(n) is 0 for n = 0, then 500 ms, 1 s, 2 s, 4 s...
 * doubling, capped at auth_fail_delay_max.  The delay applied after a
 * failure is the larger of the one for the connection's count and the one
 * for the address's count.  The address's count lives in auth_state_dir,
 * one file per client (named by a hash of it; an IPv6 client is its
 * /client_ipv6_prefix, 64 by default, as the master counts sessions),
 * updated under flock(2); it starts again from zero once its last
 * failure is older than auth_fail_window.
 *
 * Trust: the caller (a root monitor) trusts nothing the network-facing
 * process sent; auth_check trusts the users table and PAM.
 */
#ifndef FACTEUR_AUTH_H
#define FACTEUR_AUTH_H
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "users.h"

#define AUTH_DELAY_BASE_MS	500
#define AUTH_ADDR_MAX		255	/* bytes of a client address */

enum auth_status {
	AUTH_OK,		/* start the session as result.user */
	AUTH_BAD,		/* bad credentials, whatever the reason */
	AUTH_TEMP		/* could not check now: try again later */
};

struct auth_result {
	enum auth_status	status;
	/*
	 * AUTH_OK: the account.  uid and gid are the ones the session runs
	 * as (virtual_user's for an entry without its own); home is an
	 * absolute path; hash is wiped.
	 */
	struct user_entry	user;
	/* AUTH_BAD: the address's failures in the window (0: not kept). */
	unsigned		addr_failures;
	/* When auth_check began (CLOCK_MONOTONIC); zero: not known. */
	struct timespec		started;
};

/*
 * Checks user and pass for a session from client_addr (the numeric
 * address as text; NULL or "" reads as "unknown").  Fills *res and returns
 * res->status.
 */
enum auth_status auth_check(const struct conf *, const char *user,
		    const char *pass, const char *client_addr,
		    struct auth_result *res);

/* The delay for `failures` failures, in milliseconds (see above). */
long		 auth_delay_ms(const struct conf *, unsigned failures);
/*
 * The delay to apply after a failure: the larger of the two, less the
 * time auth_check has taken already, so that the answer comes at the same
 * moment whatever the check did (hash scheme, unknown user, PAM).
 */
long		 auth_fail_delay_ms(const struct conf *, unsigned conn_failures,
		    const struct auth_result *);
/* 1 when conn_failures has reached auth_fail_limit: close. */
int		 auth_fail_too_many(const struct conf *, unsigned conn_failures);
/* Sleeps ms milliseconds, going on after signals. */
void		 auth_sleep_ms(long ms);

/*
 * The per-address records, exposed for tests and for facteurctl.
 * auth_addr_fail counts one more failure of addr at time now and returns
 * the count in the window; auth_addr_failures only reads it.  Both return
 * -1 (logged) when the record cannot be kept, 0 when auth_state_dir is
 * empty.  auth_state_clean removes the records older than the window and
 * returns how many, or -1; auth_addr_fail calls it now and then.
 */
int		 auth_addr_fail(const struct conf *, const char *addr,
		    time_t now);
int		 auth_addr_failures(const struct conf *, const char *addr,
		    time_t now);
int		 auth_state_clean(const struct conf *, time_t now);

#endif
