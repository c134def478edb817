/*
 * auth_fixture.h: the users_file, auth_state_dir and configuration that
 * the unit tests of lib/auth (test_auth.c, test_auth_delay.c) set up and
 * remove around each test.
 */
#ifndef FACTEUR_AUTH_FIXTURE_H
#define FACTEUR_AUTH_FIXTURE_H

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

#endif
