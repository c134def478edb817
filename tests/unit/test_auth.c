/*
 * test_auth: the monitors' credentials check over a users_file whose
 * hashes the test makes with crypt_gensalt/crypt (yescrypt, bcrypt,
 * sha512, sha256): right and wrong passwords, unknown users (the same
 * answer as a wrong password), refused uids, virtual_user, locked and
 * unknown schemes, {PLAIN} only when allowed, and the log lines (which
 * never hold the password); the delays are test_auth_delay.c's.  With HAVE_PAM and root, system accounts
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

#include "auth_fixture.h"

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
		cmocka_unit_test(test_temp_failure),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_system_accounts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
