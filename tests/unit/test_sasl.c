/*
 * test_sasl: strict base64 (good and every bad form), PLAIN and LOGIN with
 * and without initial responses, cancel, empty "=", NUL bytes in the wrong
 * places, control bytes, authzid rules, limits, unknown mechanisms and
 * steps out of order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sasl.h"

/* base64 of raw bytes, for building PLAIN messages with NULs. */
static char *
b64(const char *raw, size_t len)
{
	static char	out[SASL_LINE_MAX * 2];

	assert_true(sasl_b64_encode((const unsigned char *)raw, len, out,
	    sizeof(out)) >= 0);
	return out;
}

static void
test_b64_good(void **state)
{
	unsigned char	out[64];
	char		enc[64];

	(void)state;
	assert_int_equal(sasl_b64_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(sasl_b64_decode("Zg==", 4, out, sizeof(out)), 1);
	assert_memory_equal(out, "f", 1);
	assert_int_equal(sasl_b64_decode("Zm8=", 4, out, sizeof(out)), 2);
	assert_memory_equal(out, "fo", 2);
	assert_int_equal(sasl_b64_decode("Zm9v", 4, out, sizeof(out)), 3);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(sasl_b64_decode("Zm9vYmFy", 8, out, sizeof(out)), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(sasl_b64_decode("+/+/", 4, out, sizeof(out)), 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
	assert_int_equal(sasl_b64_encode((const unsigned char *)"foob", 4,
	    enc, sizeof(enc)), 8);
	assert_string_equal(enc, "Zm9vYg==");
	assert_int_equal(sasl_b64_encode((const unsigned char *)"", 0,
	    enc, sizeof(enc)), 0);
	assert_string_equal(enc, "");
	/* The encoding must fit with its NUL. */
	assert_int_equal(sasl_b64_encode((const unsigned char *)"foo", 3,
	    enc, 4), -1);
	assert_int_equal(sasl_b64_encode((const unsigned char *)"foo", 3,
	    enc, 5), 4);
}

static void
test_b64_bad(void **state)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zm9", "Z", "Zm9vY",	/* not a multiple of 4 */
		"Zm9v\n", "Zm 9v", " Zm9v", "Zm9v\r\n",	/* blanks, breaks */
		"Zm9\tv", "Zm9v=", "====", "Z===", "=Zm9",
		"Zg==Zm9v", "Zm=v", "Zh==",		/* unused bits set */
		"Zm9=", "Zm-v", "Zm_v", "Zm9v!", "Zm9v*", "*",
		"Zm9\x80", "Zm9\x01",
	};
	unsigned char	out[64];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sasl_b64_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)), -1);
	/* NUL inside the input is a bad character, not an end. */
	assert_int_equal(sasl_b64_decode("Zm\0v", 4, out, sizeof(out)), -1);
	/* Output too small: refused, not cut. */
	assert_int_equal(sasl_b64_decode("Zm9vYmFy", 8, out, 5), -1);
	assert_int_equal(sasl_b64_decode("Zm9vYg==", 8, out, 4), 4);
}

static void
test_plain_initial(void **state)
{
	struct sasl	s;

	(void)state;
	/* "\0alice\0secret" */
	assert_int_equal(sasl_start(&s, "PLAIN",
	    b64("\0alice\0secret", 13)), SASL_DONE);
	assert_string_equal(s.creds.authzid, "");
	assert_string_equal(s.creds.authcid, "alice");
	assert_string_equal(s.creds.password, "secret");
	/* A done exchange takes no more steps. */
	assert_int_equal(sasl_step(&s, "Zm9v", 4), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_STATE);
	assert_string_equal(s.creds.password, "");
	sasl_clear(&s);

	/* authzid equal to authcid is fine; the mechanism name is caseless. */
	assert_int_equal(sasl_start(&s, "plain",
	    b64("bob\0bob\0pw with spaces", 22)), SASL_DONE);
	assert_string_equal(s.creds.authzid, "bob");
	assert_string_equal(s.creds.authcid, "bob");
	assert_string_equal(s.creds.password, "pw with spaces");
	sasl_clear(&s);
	assert_string_equal(s.creds.password, "");

	/* Non-ASCII (UTF-8) names and passwords pass through. */
	assert_int_equal(sasl_start(&s, "PLAIN",
	    b64("\0j\xc3\xa9r\xc3\xb4me\0p\xc3\xa4ss", 15)), SASL_DONE);
	assert_string_equal(s.creds.authcid, "j\xc3\xa9r\xc3\xb4me");
	sasl_clear(&s);
}

static void
test_plain_challenge(void **state)
{
	struct sasl	 s;
	const char	*m;

	(void)state;
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_string_equal(sasl_challenge(&s), "");
	m = b64("\0carol\0pw", 9);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_DONE);
	assert_string_equal(s.creds.authcid, "carol");
	assert_string_equal(s.creds.password, "pw");
	sasl_clear(&s);

	/* Cancel. */
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "*", 1), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_CANCELLED);
	assert_string_equal(sasl_smtp_reply(sasl_error(&s)),
	    "501 5.0.0 Authentication cancelled");
	sasl_clear(&s);

	/* Bad base64 in the response: 501 class. */
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "AGFsaWNlAHNlY3JldA= ", 20), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
	assert_memory_equal(sasl_smtp_reply(SASL_ERR_BASE64), "501 ", 4);
	sasl_clear(&s);

	/* An empty line is an empty response: malformed for PLAIN. */
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "", 0), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	sasl_clear(&s);
}

static void
test_plain_bad(void **state)
{
	static const struct {
		const char	*raw;
		size_t		 len;
		enum sasl_err	 err;
	} bad[] = {
		{ "alice", 5, SASL_ERR_SYNTAX },		/* no NUL */
		{ "\0alice", 6, SASL_ERR_SYNTAX },		/* one NUL */
		{ "\0alice\0", 7, SASL_ERR_SYNTAX },		/* empty password */
		{ "\0\0secret", 8, SASL_ERR_SYNTAX },		/* empty authcid */
		{ "\0alice\0se\0cret", 14, SASL_ERR_SYNTAX },	/* third NUL */
		{ "\0alice\0secret\0", 14, SASL_ERR_SYNTAX },	/* trailing NUL */
		{ "\0ali\nce\0secret", 14, SASL_ERR_SYNTAX },	/* LF in name */
		{ "\0ali\rce\0secret", 14, SASL_ERR_SYNTAX },	/* CR in name */
		{ "\0ali\x7f" "ce\0secret", 14, SASL_ERR_SYNTAX },
		{ "x\ty\0alice\0secret", 16, SASL_ERR_SYNTAX },	/* tab, authzid */
		{ "mallory\0alice\0secret", 20, SASL_ERR_AUTHZID },
		{ "Alice\0alice\0secret", 18, SASL_ERR_AUTHZID },
	};
	struct sasl	s;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sasl_start(&s, "PLAIN",
		    b64(bad[i].raw, bad[i].len)), SASL_ERROR);
		assert_int_equal(sasl_error(&s), bad[i].err);
		/* Nothing of a refused message is kept. */
		assert_string_equal(s.creds.password, "");
		assert_string_equal(s.creds.authcid, "");
		sasl_clear(&s);
	}
	assert_memory_equal(sasl_smtp_reply(SASL_ERR_AUTHZID), "535 ", 4);
	/* "=" is the empty initial response: malformed for PLAIN. */
	assert_int_equal(sasl_start(&s, "PLAIN", "="), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	/* Bad base64 in the initial response; "*" is not base64 there. */
	assert_int_equal(sasl_start(&s, "PLAIN", "AGFsaWNl AHNlY3JldA=="),
	    SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
	assert_int_equal(sasl_start(&s, "PLAIN", "*"), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
	assert_int_equal(sasl_start(&s, "PLAIN", "=="), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
}

static void
test_login(void **state)
{
	struct sasl	 s;
	const char	*m;

	(void)state;
	assert_int_equal(sasl_start(&s, "LOGIN", NULL), SASL_CONTINUE);
	assert_string_equal(sasl_challenge(&s), "VXNlcm5hbWU6");
	m = b64("alice", 5);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_CONTINUE);
	assert_string_equal(sasl_challenge(&s), "UGFzc3dvcmQ6");
	m = b64("s3cr\xc3\xa9t", 7);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_DONE);
	assert_string_equal(s.creds.authcid, "alice");
	assert_string_equal(s.creds.authzid, "");
	assert_string_equal(s.creds.password, "s3cr\xc3\xa9t");
	sasl_clear(&s);

	/* The user name as initial response. */
	assert_int_equal(sasl_start(&s, "Login", b64("bob", 3)), SASL_CONTINUE);
	assert_string_equal(sasl_challenge(&s), "UGFzc3dvcmQ6");
	m = b64("pw", 2);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_DONE);
	assert_string_equal(s.creds.authcid, "bob");
	sasl_clear(&s);

	/* Cancel at the password. */
	assert_int_equal(sasl_start(&s, "LOGIN", b64("bob", 3)), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "*", 1), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_CANCELLED);
	assert_string_equal(s.creds.authcid, "");
	sasl_clear(&s);
}

static void
test_login_bad(void **state)
{
	struct sasl	 s;
	const char	*m;

	(void)state;
	/* Empty user name, by "=" or by an empty line. */
	assert_int_equal(sasl_start(&s, "LOGIN", "="), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	assert_int_equal(sasl_start(&s, "LOGIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "", 0), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	/* NUL in the user name or the password. */
	assert_int_equal(sasl_start(&s, "LOGIN", b64("al\0ce", 5)), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	assert_int_equal(sasl_start(&s, "LOGIN", b64("alice", 5)),
	    SASL_CONTINUE);
	m = b64("pa\0ss", 5);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	/* Empty password. */
	assert_int_equal(sasl_start(&s, "LOGIN", b64("alice", 5)),
	    SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "", 0), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	/* Bad base64 at either step. */
	assert_int_equal(sasl_start(&s, "LOGIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "YWxpY2U", 7), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
	assert_int_equal(sasl_start(&s, "LOGIN", b64("alice", 5)),
	    SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "cHc=\r\n", 6), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_BASE64);
	/* CR/LF in the user name. */
	assert_int_equal(sasl_start(&s, "LOGIN", b64("alice\r\nQUIT", 11)),
	    SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	sasl_clear(&s);
}

static void
test_limits(void **state)
{
	struct sasl	 s;
	char		*raw, *line;
	const char	*m;
	size_t		 n;

	(void)state;
	raw = malloc(SASL_LINE_MAX + 16);
	line = malloc(SASL_LINE_MAX + 16);
	assert_non_null(raw);
	assert_non_null(line);

	/* A name of SASL_NAME_MAX bytes passes, one more does not. */
	memset(raw, 0, SASL_LINE_MAX);
	memset(raw + 1, 'a', SASL_NAME_MAX);
	memcpy(raw + 2 + SASL_NAME_MAX, "pw", 2);
	assert_int_equal(sasl_start(&s, "PLAIN",
	    b64(raw, SASL_NAME_MAX + 4)), SASL_DONE);
	assert_int_equal(strlen(s.creds.authcid), SASL_NAME_MAX);
	memset(raw + 1, 'a', SASL_NAME_MAX + 1);
	raw[SASL_NAME_MAX + 2] = '\0';
	memcpy(raw + 3 + SASL_NAME_MAX, "pw", 2);
	assert_int_equal(sasl_start(&s, "PLAIN",
	    b64(raw, SASL_NAME_MAX + 5)), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_TOO_LONG);

	/* A password of SASL_PASS_MAX passes, one more does not. */
	memcpy(raw, "\0u\0", 3);
	memset(raw + 3, 'p', SASL_PASS_MAX + 1);
	assert_int_equal(sasl_start(&s, "PLAIN", b64(raw, 3 + SASL_PASS_MAX)),
	    SASL_DONE);
	assert_int_equal(strlen(s.creds.password), SASL_PASS_MAX);
	assert_int_equal(sasl_start(&s, "PLAIN",
	    b64(raw, 4 + SASL_PASS_MAX)), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_TOO_LONG);
	assert_int_equal(sasl_start(&s, "LOGIN", b64("u", 1)), SASL_CONTINUE);
	m = b64(raw + 3, SASL_PASS_MAX + 1);
	assert_int_equal(sasl_step(&s, m, strlen(m)), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_TOO_LONG);

	/* Lines over 8 KB are refused before decoding, valid or not. */
	n = SASL_LINE_MAX + 4;
	memset(line, 'A', n);
	line[n] = '\0';
	assert_int_equal(sasl_start(&s, "PLAIN", line), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_TOO_LONG);
	assert_memory_equal(sasl_smtp_reply(SASL_ERR_TOO_LONG), "500 5.5.6", 9);
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, line, n), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_TOO_LONG);
	/* Exactly SASL_LINE_MAX: decoded, then refused on its fields. */
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, line, SASL_LINE_MAX), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_SYNTAX);
	sasl_clear(&s);
	free(raw);
	free(line);
}

static void
test_mech_and_state(void **state)
{
	struct sasl	s;

	(void)state;
	assert_int_equal(sasl_start(&s, "CRAM-MD5", NULL), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_MECH);
	assert_string_equal(sasl_smtp_reply(SASL_ERR_MECH),
	    "504 5.5.4 Unrecognized authentication type");
	assert_int_equal(sasl_start(&s, "", NULL), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_MECH);
	assert_int_equal(sasl_start(&s, "PLAINX", "AGEAYg=="), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_MECH);
	assert_int_equal(sasl_mech_known("plain"), 1);
	assert_int_equal(sasl_mech_known("LOGIN"), 1);
	assert_int_equal(sasl_mech_known("XOAUTH2"), 0);
	/* A step with no exchange, and after an error. */
	sasl_init(&s);
	assert_int_equal(sasl_step(&s, "AGEAYg==", 8), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_STATE);
	assert_memory_equal(sasl_smtp_reply(SASL_ERR_STATE), "503 ", 4);
	assert_int_equal(sasl_start(&s, "PLAIN", NULL), SASL_CONTINUE);
	assert_int_equal(sasl_step(&s, "!!!!", 4), SASL_ERROR);
	assert_int_equal(sasl_step(&s, "AGEAYg==", 8), SASL_ERROR);
	assert_int_equal(sasl_error(&s), SASL_ERR_STATE);
	assert_non_null(sasl_strerror(SASL_ERR_BASE64));
	assert_string_equal(sasl_strerror(SASL_ERR_CANCELLED),
	    "authentication cancelled");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_good),
		cmocka_unit_test(test_b64_bad),
		cmocka_unit_test(test_plain_initial),
		cmocka_unit_test(test_plain_challenge),
		cmocka_unit_test(test_plain_bad),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_login_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mech_and_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
