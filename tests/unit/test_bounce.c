/*
 * test_bounce: the delivery status notifications against golden files
 * (tests/data/bounce/simple.in -> simple.ref, a failure returning the
 * header; full.ref, a failure returning the whole message with ENVID and
 * ORCPT; delay.ref, a delay warning; success.ref, a success notice with
 * a delivered and a relayed recipient; each with a fixed date and
 * boundary), and the helpers: status codes, dates, header cutting, and
 * refusal of control bytes.  FACTEUR_REGEN=1 rewrites the .ref files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bounce.h"
#include "buf.h"

#define DATADIR	"tests/data/bounce/"

static char *
file_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* Builds bi with DATADIR simple.in as the original; compares with ref. */
static void
golden(struct bounce_info *bi, const char *refname, const char *absent)
{
	struct buf	 b;
	char		*in, *ref, path[256];
	size_t		 inlen, reflen;
	FILE		*f;

	in = file_read(DATADIR "simple.in", &inlen);
	assert_non_null(in);
	bi->headers = in;
	bi->hlen = inlen;
	buf_init(&b, 1024 * 1024);
	assert_int_equal(bounce_build(&b, bi), 0);
	(void)snprintf(path, sizeof(path), DATADIR "%s", refname);
	if (getenv("FACTEUR_REGEN") != NULL) {
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
		assert_int_equal(fclose(f), 0);
	}
	ref = file_read(path, &reflen);
	assert_non_null(ref);
	assert_int_equal(b.len, reflen);
	assert_memory_equal(b.data, ref, reflen);
	if (absent != NULL)
		assert_null(strstr(b.data, absent));
	free(in);
	free(ref);
	buf_free(&b);
}

static void
test_golden(void **arg)
{
	struct bounce_rcpt r[2] = {
		{ "nobody@example.net", NULL, NULL,
		  "5.1.1 unknown user: nobody", NULL, NULL },
		{ "bob@mx.example.net", "bob+lists@example.net", NULL,
		  "mailbox full", NULL, NULL },
	};
	struct bounce_info bi = {
		.id = "0123456789ABCD",
		.myhostname = "mx.example.net",
		.sender = "alice@example.org",
		.boundary = "=_facteur_0123456789ABCD_00c0ffee",
		.arrival = 1700000000,
		.now = 1700003600,
		.rcpt = r,
		.nrcpt = 2,
	};

	(void)arg;
	/* the body of the original is not in the report */
	golden(&bi, "simple.ref", "Are you free");
	/* RET=FULL, ENVID, ORCPT: the whole message comes back */
	r[0].orcpt = "rfc822;Nobody@Example.NET";
	bi.envid = "QQ314159";
	bi.full = 1;
	golden(&bi, "full.ref", "text/rfc822-headers");
}

static void
test_golden_notices(void **arg)
{
	struct bounce_rcpt r[2] = {
		{ "carol@example.net", NULL, NULL,
		  "4.4.1 host mx.example.net[192.0.2.9] refused to talk",
		  "rfc822;carol@example.net", NULL },
		{ "bob@mx.example.net", "bob+lists@example.net", NULL,
		  "4.2.2 mailbox full", NULL, NULL },
	};
	struct bounce_info bi = {
		.id = "0123456789ABCD",
		.myhostname = "mx.example.net",
		.sender = "alice@example.org",
		.boundary = "=_facteur_0123456789ABCD_00c0ffee",
		.arrival = 1700000000,
		.now = 1700014400,
		.rcpt = r,
		.nrcpt = 2,
		.kind = BOUNCE_DELAYED,
		.envid = "QQ314159",
		.retry_until = 1700432000,
	};

	(void)arg;
	golden(&bi, "delay.ref", "Are you free");
	r[0].diag = "delivered to maildir";
	r[1].diag = "250 2.0.0 Ok: queued as 4XyZ";
	r[1].action = "relayed";
	bi.kind = BOUNCE_DELIVERED;
	bi.retry_until = 0;
	golden(&bi, "success.ref", "Will-Retry-Until");
}

/* A remote server's reply: Remote-MTA and Diagnostic-Code: smtp. */
static void
test_golden_remote(void **arg)
{
	struct bounce_rcpt r[2] = {
		{ "gone@example.com", NULL, NULL,
		  "5.1.1 host mx.example.com[192.0.2.25] said: 550 5.1.1 "
		  "<gone@example.com>: Recipient address rejected (in reply "
		  "to RCPT TO command)", NULL, NULL },
		{ "big@example.com", NULL, NULL,
		  "5.3.4 message size 90000 exceeds size limit 1000 of server "
		  "mx.example.com[192.0.2.25]", NULL, NULL },
	};
	struct bounce_info bi = {
		.id = "0123456789ABCD", .myhostname = "mx.example.net",
		.sender = "alice@example.org",
		.boundary = "=_facteur_0123456789ABCD_00c0ffee",
		.arrival = 1700000000, .now = 1700003600, .rcpt = r,
		.nrcpt = 2,
	};
	struct buf	 b;
	char		*in, *ref;
	size_t		 inlen, reflen;
	FILE		*f;

	(void)arg;
	in = file_read(DATADIR "simple.in", &inlen);
	assert_non_null(in);
	bi.headers = in;
	bi.hlen = inlen;
	buf_init(&b, 1024 * 1024);
	assert_int_equal(bounce_build(&b, &bi), 0);
	if (getenv("FACTEUR_REGEN") != NULL) {
		f = fopen(DATADIR "remote.ref", "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
		assert_int_equal(fclose(f), 0);
	}
	ref = file_read(DATADIR "remote.ref", &reflen);
	assert_non_null(ref);
	assert_int_equal(b.len, reflen);
	assert_memory_equal(b.data, ref, reflen);
	free(in);
	free(ref);
	buf_free(&b);
}

static void
test_remote_reply(void **arg)
{
	char		 mta[64];
	size_t		 off, len;
	const char	*t;

	(void)arg;
	t = "host mx.b[192.0.2.1] said: 550 no (in reply to RCPT TO command)";
	assert_int_equal(bounce_remote_reply(t, mta, sizeof(mta), &off, &len),
	    1);
	assert_string_equal(mta, "mx.b");
	assert_int_equal(len, 6);
	assert_memory_equal(t + off, "550 no", 6);
	/* a reply that holds the words itself: the last ones end it */
	t = "host a[::1] said: 550 x (in reply to y) (in reply to DATA "
	    "command)";
	assert_int_equal(bounce_remote_reply(t, mta, sizeof(mta), &off, &len),
	    1);
	assert_int_equal(len, strlen("550 x (in reply to y)"));
	assert_int_equal(bounce_remote_reply("connect to a[1.2.3.4]:25: "
	    "refused", mta, sizeof(mta), &off, &len), 0);
	assert_int_equal(bounce_remote_reply("host a[1] said: (in reply to "
	    "x)", mta, sizeof(mta), &off, &len), 0);	/* empty reply */
	assert_int_equal(bounce_remote_reply("host [1] said: 550 x (in reply "
	    "to y)", mta, sizeof(mta), &off, &len), 0);	/* no name */
	assert_int_equal(bounce_remote_reply("host a b[1] said: 550 x (in "
	    "reply to y)", mta, sizeof(mta), &off, &len), 0);
	assert_int_equal(bounce_remote_reply("host a[1] said: 550 x", mta,
	    sizeof(mta), &off, &len), 0);
	/* a name longer than the room is not taken */
	assert_int_equal(bounce_remote_reply("host aaaaaaaaaa[1] said: 5 "
	    "(in reply to x)", mta, 4, &off, &len), 0);
}

static void
test_refuse(void **arg)
{
	struct bounce_rcpt r = { "a@b", NULL, NULL, "bad\nline", NULL, NULL };
	struct bounce_info bi = {
		.id = "0123456789ABCD", .myhostname = "h", .sender = "s@t",
		.boundary = "x", .rcpt = &r, .nrcpt = 1,
	};
	struct buf	b;

	(void)arg;
	buf_init(&b, 65536);
	assert_int_equal(bounce_build(&b, &bi), -1);
	assert_int_equal(errno, EINVAL);
	r.diag = "ok";
	bi.sender = "s\r@t";
	assert_int_equal(bounce_build(&b, &bi), -1);
	bi.sender = "s@t";
	bi.nrcpt = 0;
	assert_int_equal(bounce_build(&b, &bi), -1);
	bi.nrcpt = 1;
	bi.boundary = "";
	assert_int_equal(bounce_build(&b, &bi), -1);
	bi.boundary = "x";
	assert_int_equal(bounce_build(&b, &bi), 0);
	/* ENVID, ORCPT, the action and the kind are checked too */
	bi.envid = "a\rb";
	assert_int_equal(bounce_build(&b, &bi), -1);
	bi.envid = NULL;
	r.orcpt = "rfc822;a\n@b";
	assert_int_equal(bounce_build(&b, &bi), -1);
	r.orcpt = NULL;
	r.action = "relayed\n";
	assert_int_equal(bounce_build(&b, &bi), -1);
	r.action = NULL;
	bi.kind = 3;
	assert_int_equal(bounce_build(&b, &bi), -1);
	bi.kind = BOUNCE_FAILED;
	/* a limited buffer refuses and reports */
	buf_free(&b);
	buf_init(&b, 100);
	assert_int_equal(bounce_build(&b, &bi), -1);
	buf_free(&b);
}

static void
test_status(void **arg)
{
	char		 code[16];
	const char	*t;

	(void)arg;
	t = bounce_status("5.1.1 no such user", code, sizeof(code));
	assert_string_equal(code, "5.1.1");
	assert_string_equal(t, "no such user");
	t = bounce_status("4.2.2 over quota", code, sizeof(code));
	assert_string_equal(code, "5.2.2");
	assert_string_equal(t, "over quota");
	t = bounce_status("5.1.1", code, sizeof(code));
	assert_string_equal(code, "5.1.1");
	assert_string_equal(t, "");
	t = bounce_status("5.1.1x nope", code, sizeof(code));
	assert_string_equal(code, "5.0.0");
	assert_string_equal(t, "5.1.1x nope");
	t = bounce_status("2.0.0 fine", code, sizeof(code));
	assert_string_equal(code, "5.0.0");
	t = bounce_status("5.1234.1 x", code, sizeof(code));
	assert_string_equal(code, "5.0.0");
	t = bounce_status("", code, sizeof(code));
	assert_string_equal(code, "5.0.0");
	assert_string_equal(t, "");
}

static void
test_date(void **arg)
{
	char	d[64];

	(void)arg;
	assert_int_equal(bounce_date(d, sizeof(d), 1700000000), 0);
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_int_equal(bounce_date(d, sizeof(d), 0), 0);
	assert_string_equal(d, "Thu, 1 Jan 1970 00:00:00 +0000");
	assert_int_equal(bounce_date(d, 10, 0), -1);
}

static void
test_headers_len(void **arg)
{
	int	cut;

	(void)arg;
	assert_int_equal(bounce_headers_len("A: b\n\nbody", 10, 100, &cut), 6);
	assert_int_equal(cut, 0);
	assert_int_equal(bounce_headers_len("A: b\r\n\r\nbody", 12, 100, &cut),
	    8);
	assert_int_equal(bounce_headers_len("A: b\nC: d\n", 10, 100, &cut), 10);
	assert_int_equal(cut, 0);
	assert_int_equal(bounce_headers_len("A: b\nC: dddddd\n", 15, 8, &cut),
	    5);
	assert_int_equal(cut, 1);
	assert_int_equal(bounce_headers_len("AAAAAAAAAAAA", 12, 4, &cut), 0);
	assert_int_equal(cut, 1);
}

static void
test_boundary(void **arg)
{
	char	b1[BOUNCE_BOUNDARY_MAX + 1], b2[BOUNCE_BOUNDARY_MAX + 1];

	(void)arg;
	bounce_boundary(b1, sizeof(b1), "0123456789ABCD");
	bounce_boundary(b2, sizeof(b2), "0123456789ABCD");
	assert_true(strncmp(b1, "=_facteur_0123456789ABCD_", 25) == 0);
	assert_int_equal(strlen(b1), 33);
	assert_string_not_equal(b1, b2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_notices),
		cmocka_unit_test(test_golden_remote),
		cmocka_unit_test(test_remote_reply),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_headers_len),
		cmocka_unit_test(test_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
