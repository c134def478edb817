/*
 * auth: the credentials check of the root monitors (see auth.h): looks the
 * user up, checks the password (passwd_check), decides whether the account
 * may have a session (uid 0 never; uids below first_valid_uid never;
 * virtual_user for entries without a uid of their own), counts failures
 * per client address (auth_state.c) and writes the one log line of each
 * attempt.  Every way of failing costs one password check and gives the
 * same answer, so that an attacker cannot tell a user who does not exist
 * from a wrong password.
 *
 * Trust: the name and password are the network client's, through a less
 * privileged process: bounded by the caller, never logged (the name
 * sanitized and cut), the password wiped by the caller; the users table
 * and PAM are trusted.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "log.h"
#include "passwd_check.h"

#define AUTH_USER_LOG_MAX	255	/* bytes of a user name in a log line */

/* virtual_user's uid and gid; 1 found, 0 not, -1 error (logged). */
static int
auth_virtual_ids(const char *name, uid_t *uid, gid_t *gid)
{
	struct user_entry	 v;
	int			 r;

	if ((r = users_system_lookup(name, &v)) == 1) {
		*uid = v.uid;
		*gid = v.gid;
	}
	explicit_bzero(&v, sizeof(v));
	return r;
}

/*
 * May e (whose password was right) have a session?  AUTH_OK with uid and
 * gid settled, AUTH_BAD with *why, or AUTH_TEMP with *why.
 */
static enum auth_status
auth_account_ok(const struct conf *conf, struct user_entry *e,
    const char **why)
{
	const char	*vu;
	int		 r;

	if (e->uid == (uid_t)-1 || e->gid == (gid_t)-1) {
		vu = conf_str(conf, "virtual_user");
		if (vu[0] == '\0') {
			*why = "no uid of its own and no virtual_user";
			return AUTH_BAD;
		}
		if ((r = auth_virtual_ids(vu, &e->uid, &e->gid)) != 1) {
			*why = "virtual_user does not exist";
			return AUTH_TEMP;
		}
	}
	if (e->uid == 0) {
		*why = "uid 0 is never served";
		return AUTH_BAD;
	}
	if ((long long)e->uid < conf_int(conf, "first_valid_uid")) {
		*why = "uid below first_valid_uid";
		return AUTH_BAD;
	}
	if (e->home[0] != '/') {
		*why = "home is not an absolute path";
		return AUTH_BAD;
	}
	return AUTH_OK;
}

enum auth_status
auth_check(const struct conf *conf, const char *user, const char *pass,
    const char *client_addr, struct auth_result *res)
{
	struct user_entry	 e;
	enum passwd_result	 pv = PASSWD_MISMATCH;
	const char		*addr = client_addr, *why = NULL;
	enum auth_status	 st;
	int			 r, n;

	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	if (clock_gettime(CLOCK_MONOTONIC, &res->started) == -1)
		memset(&res->started, 0, sizeof(res->started));
	if (addr == NULL || addr[0] == '\0')
		addr = "unknown";
	if (strnlen(addr, AUTH_ADDR_MAX + 1) > AUTH_ADDR_MAX)
		addr = "invalid";
	if (user == NULL)
		user = "";
	if (pass == NULL)
		pass = "";

	r = users_lookup(conf_str(conf, "users_file"),
	    conf_bool(conf, "system_users"), user, &e);
	if (r == -1) {
		explicit_bzero(&e, sizeof(e));
		log_warnx("auth temporary failure: user=<%.*s>, client=[%s]: "
		    "cannot read the users table", AUTH_USER_LOG_MAX, user,
		    addr);
		return res->status = AUTH_TEMP;
	}
	if (r == 0)
		passwd_verify_dummy(pass);	/* the time a user would cost */
	else
		pv = passwd_verify(conf, &e, pass, addr);
	explicit_bzero(e.hash, sizeof(e.hash));

	if (pv == PASSWD_TEMP) {
		explicit_bzero(&e, sizeof(e));
		log_warnx("auth temporary failure: user=<%.*s>, client=[%s]: "
		    "the password could not be checked", AUTH_USER_LOG_MAX,
		    user, addr);
		return res->status = AUTH_TEMP;
	}
	if (pv == PASSWD_OK) {
		st = auth_account_ok(conf, &e, &why);
		if (st == AUTH_OK) {
			res->user = e;
			log_info("auth ok: user=<%.*s>, client=[%s]",
			    AUTH_USER_LOG_MAX, user, addr);
			return res->status = AUTH_OK;
		}
		explicit_bzero(&e, sizeof(e));
		if (st == AUTH_TEMP) {
			log_warnx("auth temporary failure: user=<%.*s>, "
			    "client=[%s]: %s", AUTH_USER_LOG_MAX, user, addr,
			    why);
			return res->status = AUTH_TEMP;
		}
		log_warnx("auth refused: user=<%.*s>, client=[%s]: %s",
		    AUTH_USER_LOG_MAX, user, addr, why);
	}
	explicit_bzero(&e, sizeof(e));
	n = auth_addr_fail(conf, addr, time(NULL));
	res->addr_failures = n > 0 ? (unsigned)n : 0;
	log_info("auth failed: user=<%.*s>, client=[%s], failures=%u",
	    AUTH_USER_LOG_MAX, user, addr, res->addr_failures);
	return res->status = AUTH_BAD;
}

long
auth_delay_ms(const struct conf *conf, unsigned failures)
{
	long long	max = conf_int(conf, "auth_fail_delay_max") * 1000;
	long long	d;

	if (failures == 0)
		return 0;
	/* 500 << 40 already exceeds any allowed maximum. */
	d = failures > 40 ? max :
	    (long long)AUTH_DELAY_BASE_MS << (failures - 1);
	return (long)(d < max ? d : max);
}

long
auth_fail_delay_ms(const struct conf *conf, unsigned conn_failures,
    const struct auth_result *res)
{
	struct timespec	now;
	long		a = auth_delay_ms(conf, conn_failures);
	long		b = auth_delay_ms(conf, res->addr_failures);
	long long	d = a > b ? a : b, spent;

	if ((res->started.tv_sec != 0 || res->started.tv_nsec != 0) &&
	    clock_gettime(CLOCK_MONOTONIC, &now) == 0) {
		spent = (long long)(now.tv_sec - res->started.tv_sec) * 1000 +
		    (now.tv_nsec - res->started.tv_nsec) / 1000000;
		if (spent > 0)
			d = spent >= d ? 0 : d - spent;
	}
	return (long)d;
}

int
auth_fail_too_many(const struct conf *conf, unsigned conn_failures)
{
	return (long long)conn_failures >= conf_int(conf, "auth_fail_limit");
}

void
auth_sleep_ms(long ms)
{
	struct timespec	ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}
