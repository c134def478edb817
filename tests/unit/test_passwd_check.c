/*
 * test_passwd_check: passwd_verify on entries built here (every scheme,
 * its aliases and case, hashes that disagree with their scheme, {CRYPT}
 * with other crypt(3) methods, {PLAIN} on and off, locked entries, over-
 * long passwords, system accounts without PAM), passwd_scheme_problem as
 * facteurctl check uses it, and passwd_hash's output for every scheme.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "passwd_check.h"

static struct conf *
conf_with(const char *text)
{
	struct conf	*c;

	c = conf_load_buf(text, strlen(text), "t.conf", NULL, NULL);
	assert_non_null(c);
	return c;
}

/* A crypt(3) hash made here, independently of passwd_hash. */
static void
make_hash(const char *prefix, const char *pw, char *out, size_t size)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*h;

	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, salt,
	    (int)sizeof(salt)));
	assert_non_null(h = crypt(pw, salt));
	assert_true(h[0] == '$' && strlen(h) < size);
	(void)strlcpy(out, h, size);
}

static enum passwd_result
verify(const struct conf *c, const char *stored, const char *pw)
{
	struct user_entry	e;

	memset(&e, 0, sizeof(e));
	(void)strlcpy(e.name, "u", sizeof(e.name));
	(void)strlcpy(e.hash, stored, sizeof(e.hash));
	e.uid = 5000;
	e.gid = 5000;
	(void)strlcpy(e.home, "/home/u", sizeof(e.home));
	return passwd_verify(c, &e, pw, "192.0.2.1");
}

static void
test_schemes(void **st)
{
	struct conf	*c = conf_with("");
	char		 y[256], b[256], s6[256], s5[256], h[300];

	(void)st;
	make_hash("$y$", "pw", y, sizeof(y));
	make_hash("$2b$", "pw", b, sizeof(b));
	make_hash("$6$", "pw", s6, sizeof(s6));
	make_hash("$5$", "pw", s5, sizeof(s5));

	(void)snprintf(h, sizeof(h), "{YESCRYPT}%s", y);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	assert_int_equal(verify(c, h, "pW"), PASSWD_MISMATCH);
	assert_int_equal(verify(c, h, ""), PASSWD_MISMATCH);
	(void)snprintf(h, sizeof(h), "{yescrypt}%s", y);	/* any case */
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	(void)snprintf(h, sizeof(h), "{BLF-CRYPT}%s", b);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	assert_int_equal(verify(c, h, "px"), PASSWD_MISMATCH);
	/* $2y$ (PHP, Dovecot) is the same bcrypt. */
	b[2] = 'y';
	(void)snprintf(h, sizeof(h), "{BLF-CRYPT}%s", b);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	(void)snprintf(h, sizeof(h), "{SHA512-CRYPT}%s", s6);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	(void)snprintf(h, sizeof(h), "{SHA256-CRYPT}%s", s5);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	/* {CRYPT} takes any method crypt(3) knows. */
	(void)snprintf(h, sizeof(h), "{CRYPT}%s", y);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	(void)snprintf(h, sizeof(h), "{CRYPT}%s", s6);
	assert_int_equal(verify(c, h, "pw"), PASSWD_OK);
	assert_int_equal(verify(c, h, "pw "), PASSWD_MISMATCH);

	/* Scheme and hash that disagree: refused, even with the password. */
	(void)snprintf(h, sizeof(h), "{SHA512-CRYPT}%s", y);
	assert_int_equal(verify(c, h, "pw"), PASSWD_REFUSED);
	(void)snprintf(h, sizeof(h), "{YESCRYPT}%s", s6);
	assert_int_equal(verify(c, h, "pw"), PASSWD_REFUSED);
	/* No scheme, unknown schemes, damaged hashes, locked entries. */
	assert_int_equal(verify(c, s6, "pw"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "{SSHA512}abcd", "pw"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "{MD5-CRYPT}$1$abc$def", "pw"),
	    PASSWD_REFUSED);
	assert_int_equal(verify(c, "{CRYPT}$9$nothing", "pw"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "{YESCRYPT}$y$", "pw"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "{YESCRYPT", "pw"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "", "x"), PASSWD_REFUSED);
	/* An empty password is wrong, whatever is stored. */
	assert_int_equal(verify(c, "", ""), PASSWD_MISMATCH);
	assert_int_equal(verify(c, "!", "!"), PASSWD_REFUSED);
	assert_int_equal(verify(c, "*", "*"), PASSWD_REFUSED);
	conf_free(c);
}

static void
test_plain(void **st)
{
	struct conf	*off = conf_with("");
	struct conf	*on = conf_with("auth_allow_plain_hashes = yes\n");

	(void)st;
	assert_int_equal(verify(off, "{PLAIN}secret", "secret"),
	    PASSWD_REFUSED);
	assert_int_equal(verify(on, "{PLAIN}secret", "secret"), PASSWD_OK);
	assert_int_equal(verify(on, "{plain}secret", "secret"), PASSWD_OK);
	assert_int_equal(verify(on, "{PLAIN}secret", "secre"),
	    PASSWD_MISMATCH);
	assert_int_equal(verify(on, "{PLAIN}secret", "secrets"),
	    PASSWD_MISMATCH);
	assert_int_equal(verify(on, "{PLAIN}secret", "Secret"),
	    PASSWD_MISMATCH);
	assert_int_equal(verify(on, "{PLAIN}secret", ""), PASSWD_MISMATCH);
	/* An empty {PLAIN} password never matches. */
	assert_int_equal(verify(on, "{PLAIN}", ""), PASSWD_MISMATCH);
	conf_free(off);
	conf_free(on);
}

static void
test_long_password(void **st)
{
	struct conf	*c = conf_with("auth_allow_plain_hashes = yes\n");
	char		 pw[PASSWD_MAX + 2], h[PASSWD_HASH_MAX];

	(void)st;
	memset(pw, 'a', PASSWD_MAX);
	pw[PASSWD_MAX] = '\0';
	assert_int_equal(passwd_hash("sha512", pw, h, sizeof(h)), 0);
	assert_int_equal(verify(c, h, pw), PASSWD_OK);
	pw[PASSWD_MAX] = 'a';
	pw[PASSWD_MAX + 1] = '\0';
	assert_int_equal(verify(c, h, pw), PASSWD_MISMATCH);
	assert_int_equal(passwd_hash("sha512", pw, h, sizeof(h)), -1);
	conf_free(c);
}

static void
test_system_without_pam(void **st)
{
	struct conf		*c = conf_with("");
	struct user_entry	 e;

	(void)st;
	memset(&e, 0, sizeof(e));
	(void)strlcpy(e.name, "nobody", sizeof(e.name));
	e.uid = 65534;
	e.system = 1;
#ifndef HAVE_PAM
	assert_int_equal(passwd_verify(c, &e, "anything", NULL),
	    PASSWD_REFUSED);
#else
	/* The default service exists nowhere here: it must not succeed. */
	assert_int_not_equal(passwd_verify(c, &e, "anything", NULL),
	    PASSWD_OK);
#endif
	conf_free(c);
}

static void
test_scheme_problem(void **st)
{
	char	y[256], s6[256], h[300];

	(void)st;
	make_hash("$y$", "pw", y, sizeof(y));
	make_hash("$6$", "pw", s6, sizeof(s6));
	(void)snprintf(h, sizeof(h), "{YESCRYPT}%s", y);
	assert_null(passwd_scheme_problem(h, 0));
	(void)snprintf(h, sizeof(h), "{CRYPT}%s", s6);
	assert_null(passwd_scheme_problem(h, 0));
	(void)snprintf(h, sizeof(h), "{YESCRYPT}%s", s6);
	assert_string_equal(passwd_scheme_problem(h, 0),
	    "hash does not match its {SCHEME}");
	assert_non_null(passwd_scheme_problem("{PLAIN}x", 0));
	assert_null(passwd_scheme_problem("{PLAIN}x", 1));
	assert_non_null(passwd_scheme_problem("{MD5}x", 1));
	assert_string_equal(passwd_scheme_problem(s6, 1),
	    "password has no {SCHEME} prefix");
	assert_string_equal(passwd_scheme_problem("", 1),
	    "no password (locked)");
	assert_non_null(passwd_scheme_problem("*", 1));
	assert_non_null(passwd_scheme_problem("{CRYPT}$9$bogus", 1));
	assert_non_null(passwd_scheme_problem("{CRYPT}", 1));
}

static void
test_hash(void **st)
{
	static const char *const schemes[] = {
		"yescrypt", "sha512", "sha256", "bcrypt", NULL
	};
	static const char *const prefixes[] = {
		"{YESCRYPT}$y$", "{SHA512-CRYPT}$6$", "{SHA256-CRYPT}$5$",
		"{BLF-CRYPT}$2b$10$", "{YESCRYPT}$y$"
	};
	struct conf	*c = conf_with("");
	char		 out[PASSWD_HASH_MAX], again[PASSWD_HASH_MAX];
	size_t		 i;

	(void)st;
	for (i = 0; i < 5; i++) {
		assert_int_equal(passwd_hash(schemes[i], "h pass", out,
		    sizeof(out)), 0);
		assert_memory_equal(out, prefixes[i], strlen(prefixes[i]));
		assert_null(passwd_scheme_problem(out, 0));
		assert_int_equal(verify(c, out, "h pass"), PASSWD_OK);
		assert_int_equal(verify(c, out, "h pas"), PASSWD_MISMATCH);
		/* A fresh salt every time. */
		assert_int_equal(passwd_hash(schemes[i], "h pass", again,
		    sizeof(again)), 0);
		assert_string_not_equal(out, again);
	}
	assert_int_equal(passwd_hash("md5", "x", out, sizeof(out)), -1);
	assert_int_equal(passwd_hash("plain", "x", out, sizeof(out)), -1);
	assert_int_equal(passwd_hash("", "x", out, sizeof(out)), -1);
	/* Too small for the result: refused, not cut. */
	assert_int_equal(passwd_hash("sha512", "x", out, 20), -1);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_long_password),
		cmocka_unit_test(test_system_without_pam),
		cmocka_unit_test(test_scheme_problem),
		cmocka_unit_test(test_hash),
	};

	log_init("test_passwd_check", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
