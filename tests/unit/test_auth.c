/*
 * test_auth: the monitors' credentials check over a users_file whose
 * hashes the test makes with crypt_gensalt/crypt (yescrypt, bcrypt,
 * sha512, sha256): right and wrong passwords, unknown users (the same
 * answer as a wrong password), refused uids, virtual_user, locked and
 * unknown schemes, {PLAIN} only when allowed, the delays, the per-address
 * records across connections and their decay, and the log lines (which
 * never hold the password).  With HAVE_PAM and root, system accounts
 * through a throw-away PAM service.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "passwd_check.h"

static char	dir[64];
static char	users[128];
static char	state[128];
static char	logpath[128];
static char	hyes[256], hblf[256], hsha[256], hsha256[256];
static char	pam_file[128];	/* a PAM service file to remove, or "" */

static void
write_file(const char *p, const char *data)
{
	int	fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

/* A hash made here, independently of passwd_hash. */
static void
make_hash(const char *prefix, const char *pw, char *out, size_t size)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*h;

	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, salt,
	    (int)sizeof(salt)));
	h = crypt(pw, salt);
	assert_non_null(h);
	assert_true(h[0] == '$');
	assert_true(strlen(h) < size);
	(void)strlcpy(out, h, size);
}

static struct conf *
load_conf(const char *extra)
{
	char		 text[2048];
	struct conf	*c;

	(void)snprintf(text, sizeof(text),
	    "users_file = %s\nsystem_users = no\nauth_state_dir = %s\n"
	    "%s%s", users, state,
	    strstr(extra, "first_valid_uid") ? "" : "first_valid_uid = 1000\n",
	    extra);
	c = conf_load_buf(text, strlen(text), "test.conf", NULL, NULL);
	assert_non_null(c);
	return c;
}

static int
setup(void **st)
{
	char	data[4096];

	(void)st;
	(void)strlcpy(dir, "/tmp/test_auth.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(users, sizeof(users), "%s/users", dir);
	(void)snprintf(state, sizeof(state), "%s/state", dir);
	(void)snprintf(logpath, sizeof(logpath), "%s/log", dir);
	make_hash("$y$", "yes-pass", hyes, sizeof(hyes));
	make_hash("$2b$", "blf-pass", hblf, sizeof(hblf));
	make_hash("$6$", "sha-pass", hsha, sizeof(hsha));
	make_hash("$5$", "sha256-pass", hsha256, sizeof(hsha256));
	(void)snprintf(data, sizeof(data),
	    "alice:{YESCRYPT}%s:5000:5001::/home/alice::\n"
	    "bob:{BLF-CRYPT}%s:5002:5002::/home/bob::\n"
	    "carol:{SHA512-CRYPT}%s:5003:5003::/home/carol::\n"
	    "dave:{sha256-crypt}%s:5004:5004::/home/dave::\n"
	    "erin:{CRYPT}%s:5005:5005::/home/erin::\n"
	    "root:{YESCRYPT}%s:0:0::/root::\n"
	    "daemon:{YESCRYPT}%s:1:1::/usr/sbin::\n"
	    "virt:{YESCRYPT}%s::::/var/vmail/virt::\n"
	    "nohome:{YESCRYPT}%s:5006:5006::::\n"
	    "plain:{PLAIN}plain-pass:5007:5007::/home/plain::\n"
	    "ssha:{SSHA}c2VjcmV0c2FsdA==:5008:5008::/home/ssha::\n"
	    "mixed:{SHA512-CRYPT}%s:5009:5009::/home/mixed::\n"
	    "bare:%s:5010:5010::/home/bare::\n"
	    "locked:!:5011:5011::/home/locked::\n",
	    hyes, hblf, hsha, hsha256, hsha, hyes, hyes, hyes, hyes, hyes,
	    hsha);
	write_file(users, data);
	log_init("test_auth", 1);
	return 0;
}

static int
teardown(void **st)
{
	char	cmd[128];

	(void)st;
	if (pam_file[0] != '\0')
		(void)unlink(pam_file);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Removes the per-address records, so that each test starts at zero. */
static void
state_reset(void)
{
	char	cmd[160];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	assert_int_equal(system(cmd), 0);
}

static void
test_good_passwords(void **st)
{
	static const struct {
		const char	*user, *pass, *home;
		uid_t		 uid;
	} ok[] = {
		{ "alice", "yes-pass", "/home/alice", 5000 },
		{ "bob", "blf-pass", "/home/bob", 5002 },
		{ "carol", "sha-pass", "/home/carol", 5003 },
		{ "dave", "sha256-pass", "/home/dave", 5004 },
		{ "erin", "sha-pass", "/home/erin", 5005 },
	};
	struct conf		*c = load_conf("");
	struct auth_result	 r;
	size_t			 i;

	(void)st;
	state_reset();
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(auth_check(c, ok[i].user, ok[i].pass,
		    "192.0.2.1", &r), AUTH_OK);
		assert_int_equal(r.status, AUTH_OK);
		assert_string_equal(r.user.name, ok[i].user);
		assert_int_equal(r.user.uid, ok[i].uid);
		assert_string_equal(r.user.home, ok[i].home);
		assert_string_equal(r.user.hash, "");	/* wiped */
		assert_int_equal(r.addr_failures, 0);
	}
	assert_int_equal(r.user.gid, 5005);
	assert_int_equal(auth_addr_failures(c, "192.0.2.1", time(NULL)), 0);
	conf_free(c);
}

static void
test_bad_passwords(void **st)
{
	static const struct {
		const char	*user, *pass;
	} bad[] = {
		{ "alice", "wrong" }, { "alice", "" }, { "alice", "yes-pas" },
		{ "alice", "yes-pass " }, { "ALICE", "yes-pass" },
		{ "bob", "sha-pass" }, { "carol", "yes-pass" },
		{ "nobody-here", "yes-pass" }, { "", "yes-pass" },
		{ "al\nice", "yes-pass" }, { "alice:x", "yes-pass" },
	};
	struct conf		*c = load_conf("");
	struct auth_result	 r;
	size_t			 i;
	char			 big[PASSWD_MAX + 2];

	(void)st;
	state_reset();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(auth_check(c, bad[i].user, bad[i].pass,
		    "192.0.2.2", &r), AUTH_BAD);
		assert_int_equal(r.addr_failures, i + 1);
		assert_string_equal(r.user.name, "");
		assert_int_equal(r.user.uid, 0);
	}
	/* A password over the limit is a wrong one. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_check(c, "alice", big, "192.0.2.3", &r),
	    AUTH_BAD);
	/* NULL user or password are wrong, not a crash. */
	assert_int_equal(auth_check(c, NULL, "x", "192.0.2.3", &r), AUTH_BAD);
	assert_int_equal(auth_check(c, "alice", NULL, NULL, &r), AUTH_BAD);
	conf_free(c);
}

/* Unknown user and wrong password: the same result, byte for byte. */
static void
test_no_enumeration(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r1, r2;
	unsigned		 n;

	(void)st;
	state_reset();
	assert_int_equal(auth_check(c, "alice", "nope", "198.51.100.1", &r1),
	    AUTH_BAD);
	assert_int_equal(auth_check(c, "zed", "nope", "198.51.100.2", &r2),
	    AUTH_BAD);
	/* The same but for when each check began. */
	memset(&r1.started, 0, sizeof(r1.started));
	memset(&r2.started, 0, sizeof(r2.started));
	assert_memory_equal(&r1, &r2, sizeof(r1));
	for (n = 1; n < 6; n++)
		assert_int_equal(auth_fail_delay_ms(c, n, &r1),
		    auth_fail_delay_ms(c, n, &r2));
	/* Entries that cannot log in answer the same way. */
	assert_int_equal(auth_check(c, "locked", "!", "198.51.100.3", &r2),
	    AUTH_BAD);
	r2.addr_failures = r1.addr_failures;
	memset(&r2.started, 0, sizeof(r2.started));
	assert_memory_equal(&r1, &r2, sizeof(r1));
	conf_free(c);
}

static void
test_refused_uids(void **st)
{
	struct conf		*c = load_conf("");
	struct conf		*c2;
	struct auth_result	 r;
	struct passwd		*pw;

	(void)st;
	state_reset();
	/* Right password, but uid 0, uid 1, no home: refused all the same. */
	assert_int_equal(auth_check(c, "root", "yes-pass", "192.0.2.9", &r),
	    AUTH_BAD);
	assert_int_equal(r.user.uid, 0);
	assert_string_equal(r.user.name, "");
	assert_int_equal(r.addr_failures, 1);
	assert_int_equal(auth_check(c, "daemon", "yes-pass", "192.0.2.9", &r),
	    AUTH_BAD);
	assert_int_equal(auth_check(c, "nohome", "yes-pass", "192.0.2.9", &r),
	    AUTH_BAD);
	/* No uid of its own and no virtual_user. */
	assert_int_equal(auth_check(c, "virt", "yes-pass", "192.0.2.9", &r),
	    AUTH_BAD);
	conf_free(c);

	/* first_valid_uid above alice's uid. */
	c2 = load_conf("first_valid_uid = 5001\n");
	assert_int_equal(auth_check(c2, "alice", "yes-pass", "192.0.2.9", &r),
	    AUTH_BAD);
	assert_int_equal(auth_check(c2, "bob", "blf-pass", "192.0.2.9", &r),
	    AUTH_OK);
	conf_free(c2);

	/* virtual_user gives the ids; a missing one is a temporary error. */
	if ((pw = getpwnam("nobody")) != NULL && pw->pw_uid >= 1000) {
		c = load_conf("virtual_user = nobody\n");
		assert_int_equal(auth_check(c, "virt", "yes-pass",
		    "192.0.2.9", &r), AUTH_OK);
		assert_int_equal(r.user.uid, pw->pw_uid);
		assert_int_equal(r.user.gid, pw->pw_gid);
		assert_string_equal(r.user.home, "/var/vmail/virt");
		conf_free(c);
	}
	c = load_conf("virtual_user = no-such-account-here\n");
	assert_int_equal(auth_check(c, "virt", "yes-pass", "192.0.2.9", &r),
	    AUTH_TEMP);
	conf_free(c);
}

static void
test_schemes(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;

	(void)st;
	state_reset();
	/* {PLAIN} is refused by default, even with the right password. */
	assert_int_equal(auth_check(c, "plain", "plain-pass", "::1", &r),
	    AUTH_BAD);
	/* Unknown scheme, scheme and hash that disagree, no scheme. */
	assert_int_equal(auth_check(c, "ssha", "secret", "::1", &r), AUTH_BAD);
	assert_int_equal(auth_check(c, "mixed", "yes-pass", "::1", &r),
	    AUTH_BAD);
	assert_int_equal(auth_check(c, "bare", "sha-pass", "::1", &r),
	    AUTH_BAD);
	assert_int_equal(auth_check(c, "locked", "", "::1", &r), AUTH_BAD);
	conf_free(c);

	c = load_conf("auth_allow_plain_hashes = yes\n");
	assert_int_equal(auth_check(c, "plain", "plain-pass", "::1", &r),
	    AUTH_OK);
	assert_int_equal(r.user.uid, 5007);
	assert_int_equal(auth_check(c, "plain", "plain-pas", "::1", &r),
	    AUTH_BAD);
	assert_int_equal(auth_check(c, "plain", "plain-pass2", "::1", &r),
	    AUTH_BAD);
	conf_free(c);

}

static void
test_delays(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;

	(void)st;
	assert_int_equal(auth_delay_ms(c, 0), 0);
	assert_int_equal(auth_delay_ms(c, 1), 500);
	assert_int_equal(auth_delay_ms(c, 2), 1000);
	assert_int_equal(auth_delay_ms(c, 3), 2000);
	assert_int_equal(auth_delay_ms(c, 4), 4000);
	assert_int_equal(auth_delay_ms(c, 5), 8000);
	assert_int_equal(auth_delay_ms(c, 6), 8000);
	assert_int_equal(auth_delay_ms(c, 100), 8000);
	assert_int_equal(auth_delay_ms(c, 4000000000U), 8000);
	memset(&r, 0, sizeof(r));
	r.addr_failures = 3;
	assert_int_equal(auth_fail_delay_ms(c, 1, &r), 2000);
	assert_int_equal(auth_fail_delay_ms(c, 4, &r), 4000);
	/* The time the check took is part of the delay. */
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &r.started), 0);
	r.started.tv_sec -= 1;		/* began a second ago */
	assert_in_range(auth_fail_delay_ms(c, 3, &r), 700, 1000);
	r.started.tv_sec -= 10;
	assert_int_equal(auth_fail_delay_ms(c, 3, &r), 0);
	assert_int_equal(auth_fail_too_many(c, 4), 0);
	assert_int_equal(auth_fail_too_many(c, 5), 1);
	conf_free(c);

	c = load_conf("auth_fail_delay_max = 3s\nauth_fail_limit = 2\n");
	assert_int_equal(auth_delay_ms(c, 3), 2000);
	assert_int_equal(auth_delay_ms(c, 4), 3000);
	assert_int_equal(auth_fail_too_many(c, 1), 0);
	assert_int_equal(auth_fail_too_many(c, 2), 1);
	conf_free(c);
	c = load_conf("auth_fail_delay_max = 0\n");
	assert_int_equal(auth_delay_ms(c, 3), 0);
	conf_free(c);
}

/* Two connections from one address: the second starts where it was. */
static void
test_addr_across_connections(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;
	unsigned		 conn = 0;

	(void)st;
	state_reset();
	/* First connection: three failures. */
	for (conn = 1; conn <= 3; conn++) {
		assert_int_equal(auth_check(c, "alice", "guess", "203.0.113.7",
		    &r), AUTH_BAD);
		assert_int_equal(r.addr_failures, conn);
		assert_in_range(auth_fail_delay_ms(c, conn, &r),
		    auth_delay_ms(c, conn) - 300, auth_delay_ms(c, conn));
	}
	/* A new connection: its own count is 1, the address's is 4. */
	conn = 1;
	assert_int_equal(auth_check(c, "bob", "guess", "203.0.113.7", &r),
	    AUTH_BAD);
	assert_int_equal(r.addr_failures, 4);
	assert_in_range(auth_fail_delay_ms(c, conn, &r), 3700, 4000);
	/* Another address is not affected. */
	assert_int_equal(auth_check(c, "bob", "guess", "203.0.113.8", &r),
	    AUTH_BAD);
	assert_int_equal(r.addr_failures, 1);
	assert_in_range(auth_fail_delay_ms(c, 1, &r), 200, 500);
	/* A success neither counts nor resets. */
	assert_int_equal(auth_check(c, "bob", "blf-pass", "203.0.113.7", &r),
	    AUTH_OK);
	assert_int_equal(auth_addr_failures(c, "203.0.113.7", time(NULL)), 4);
	/* IPv6 counts per /64; a v4-mapped address is the IPv4 one. */
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2:ffff::9",
	    time(NULL)), 2);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:3::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "::ffff:203.0.113.7", time(NULL)),
	    5);
	/* Not an address at all: counted by its text. */
	assert_int_equal(auth_addr_fail(c, "unknown", time(NULL)), 1);
	conf_free(c);

	/* client_ipv6_prefix: /48 makes one client of several /64s */
	state_reset();
	c = load_conf("client_ipv6_prefix = 48\n");
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:77::1", time(NULL)), 2);
	assert_int_equal(auth_addr_fail(c, "2001:db8:2:2::1", time(NULL)), 1);
	conf_free(c);
	/* and /128 tells the hosts of one /64 apart */
	state_reset();
	c = load_conf("client_ipv6_prefix = 128\n");
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::2", time(NULL)), 1);
	assert_int_equal(auth_addr_fail(c, "2001:db8:1:2::1", time(NULL)), 2);
	conf_free(c);
}

static int
count_records(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(state)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	assert_int_equal(closedir(d), 0);
	return n;
}

static void
test_decay(void **st)
{
	struct conf	*c = load_conf("auth_fail_window = 10m\n");
	time_t		 t0 = 1700000000;
	DIR		*d;
	struct dirent	*de;
	char		 p[512];

	(void)st;
	state_reset();
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0), 1);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0 + 60), 2);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 60), 2);
	/* The window runs from the last failure. */
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 659), 2);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 660), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.50", t0 + 700), 1);
	assert_int_equal(auth_addr_fail(c, "192.0.2.51", t0 + 100), 1);
	assert_int_equal(count_records(), 2);
	/* Cleaning removes what has decayed, and only that. */
	assert_int_equal(auth_state_clean(c, t0 + 800), 1);
	assert_int_equal(count_records(), 1);
	assert_int_equal(auth_addr_failures(c, "192.0.2.50", t0 + 800), 1);
	assert_int_equal(auth_state_clean(c, t0 + 100000), 1);
	assert_int_equal(count_records(), 0);

	/* A damaged record counts as zero and is rewritten. */
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	assert_non_null(d = opendir(state));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			(void)snprintf(p, sizeof(p), "%s/%s", state, de->d_name);
	assert_int_equal(closedir(d), 0);
	assert_int_equal(strlen(p) - strlen(state) - 1, 32);
	write_file(p, "C99\nT1700000000\n");
	assert_int_equal(auth_addr_failures(c, "192.0.2.60", t0), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	write_file(p, "Cx");
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), 1);
	/* A symlink in its place is not followed. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(auth_addr_fail(c, "192.0.2.60", t0), -1);
	assert_int_equal(unlink(p), 0);
	conf_free(c);

	/* No state dir configured: no records, no errors. */
	{
		char		text[512];

		(void)snprintf(text, sizeof(text), "users_file = %s\n"
		    "system_users = no\nauth_state_dir =\n", users);
		c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
		assert_non_null(c);
	}
	assert_int_equal(auth_addr_fail(c, "192.0.2.70", t0), 0);
	assert_int_equal(auth_state_clean(c, t0), 0);
	conf_free(c);
}

static void
test_temp_failure(void **st)
{
	struct conf		*c;
	struct auth_result	 r;
	char			 text[512];

	(void)st;
	(void)snprintf(text, sizeof(text), "users_file = %s/missing\n"
	    "system_users = no\nauth_state_dir = %s\n", dir, state);
	c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
	assert_non_null(c);
	assert_int_equal(auth_check(c, "alice", "yes-pass", "192.0.2.1", &r),
	    AUTH_TEMP);
	assert_int_equal(r.status, AUTH_TEMP);
	assert_int_equal(r.addr_failures, 0);
	conf_free(c);
}

/* The log names user and client, never the password. */
static void
test_log_lines(void **st)
{
	struct conf		*c = load_conf("");
	struct auth_result	 r;
	char			 buf[8192];
	int			 fd, saved;
	ssize_t			 n;

	(void)st;
	state_reset();
	fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	(void)auth_check(c, "alice", "Sekr1t-wrong", "192.0.2.77", &r);
	(void)auth_check(c, "alice", "yes-pass", "192.0.2.77", &r);
	(void)auth_check(c, "ghost\r\nauth ok: user=<x>", "Sekr1t-ghost",
	    "192.0.2.77", &r);
	(void)auth_check(c, "root", "yes-pass", "192.0.2.77", &r);
	assert_int_equal(dup2(saved, 2), 2);
	assert_int_equal(close(saved), 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(close(fd), 0);
	assert_non_null(strstr(buf,
	    "auth failed: user=<alice>, client=[192.0.2.77], failures=1\n"));
	assert_non_null(strstr(buf,
	    "auth ok: user=<alice>, client=[192.0.2.77]\n"));
	assert_non_null(strstr(buf, "auth failed: user=<ghost??auth ok: "
	    "user=<x>>, client=[192.0.2.77], failures=2\n"));
	assert_non_null(strstr(buf, "auth refused: user=<root>, "
	    "client=[192.0.2.77]: uid 0 is never served\n"));
	assert_non_null(strstr(buf, "auth failed: user=<root>, "
	    "client=[192.0.2.77], failures=3\n"));
	assert_null(strstr(buf, "Sekr1t"));
	assert_null(strstr(buf, "yes-pass"));
	assert_null(strstr(buf, "\nauth ok: user=<x>"));
	conf_free(c);
}

#ifdef HAVE_PAM
/*
 * A PAM service of our own: pam_exec hands the password (through our
 * conversation function) to a script that accepts "pam-right" only.
 */
static int
pam_service_make(char *service, size_t size, char *svcpath, size_t psize)
{
	char	script[160], text[512];

	if (geteuid() != 0 || access("/etc/pam.d", W_OK) != 0)
		return -1;
	(void)snprintf(service, size, "facteur-test-%ld", (long)getpid());
	(void)snprintf(svcpath, psize, "/etc/pam.d/%s", service);
	(void)strlcpy(pam_file, svcpath, sizeof(pam_file));
	(void)snprintf(script, sizeof(script), "%s/check.sh", dir);
	write_file(script, "#!/bin/bash\n"
	    "IFS= read -r -d '' pw\n[ \"$pw\" = pam-right ]\n");
	assert_int_equal(chmod(script, 0700), 0);
	(void)snprintf(text, sizeof(text),
	    "auth [success=1 default=ignore] pam_exec.so expose_authtok "
	    "quiet %s\nauth requisite pam_deny.so\n"
	    "auth required pam_permit.so\naccount required pam_permit.so\n",
	    script);
	write_file(svcpath, text);
	return 0;
}
#endif

/*
 * System accounts: PAM when built with it (root only, for /etc/pam.d),
 * else refused whatever the password.
 */
static void
test_system_accounts(void **st)
{
	struct conf		*c;
	struct auth_result	 r;
	struct passwd		*pw;
	char			 extra[256];
#ifdef HAVE_PAM
	char			 service[64], svcpath[128];
#endif

	(void)st;
	state_reset();
	if ((pw = getpwnam("nobody")) == NULL || pw->pw_uid < 1000) {
		skip();
		return;
	}
#ifdef HAVE_PAM
	if (pam_service_make(service, sizeof(service), svcpath,
	    sizeof(svcpath)) == -1) {
		skip();
		return;
	}
	(void)snprintf(extra, sizeof(extra), "system_users = yes\n"
	    "auth_pam_service = %s\n", service);
#else
	(void)snprintf(extra, sizeof(extra), "system_users = yes\n");
#endif
	/* load_conf writes system_users = no first: build this one whole. */
	{
		char	text[1024];

		(void)snprintf(text, sizeof(text), "users_file = %s\n"
		    "auth_state_dir = %s\n%s", users, state, extra);
		c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
		assert_non_null(c);
	}
	assert_int_equal(auth_check(c, "nobody", "pam-wrong", "192.0.2.5", &r),
	    AUTH_BAD);
#ifdef HAVE_PAM
	assert_int_equal(auth_check(c, "nobody", "pam-right", "192.0.2.5", &r),
	    AUTH_OK);
	assert_int_equal(r.user.uid, pw->pw_uid);
	assert_int_equal(r.user.system, 1);
	/* A system account below first_valid_uid: PAM says yes, we no. */
	if (getpwnam("bin") != NULL)
		assert_int_equal(auth_check(c, "bin", "pam-right",
		    "192.0.2.5", &r), AUTH_BAD);
	/* users_file entries still go by their hash, not PAM. */
	assert_int_equal(auth_check(c, "alice", "yes-pass", "192.0.2.5", &r),
	    AUTH_OK);
	assert_int_equal(auth_check(c, "alice", "pam-right", "192.0.2.5", &r),
	    AUTH_BAD);
	assert_int_equal(unlink(svcpath), 0);
	pam_file[0] = '\0';
#else
	/* Without PAM, not even the right password would do. */
	assert_int_equal(auth_check(c, "nobody", "", "192.0.2.5", &r),
	    AUTH_BAD);
#endif
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_passwords),
		cmocka_unit_test(test_bad_passwords),
		cmocka_unit_test(test_no_enumeration),
		cmocka_unit_test(test_refused_uids),
		cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_delays),
		cmocka_unit_test(test_addr_across_connections),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_temp_failure),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_system_accounts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
