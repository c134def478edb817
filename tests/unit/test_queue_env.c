/*
 * test_queue_env: the envelope file: round trip, golden files
 * (tests/data/queue_env/NAME.in -> NAME.ref; dsn.in has the optional
 * records of issue 14), and every malformed form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "queue_env.h"

#define ID	"1B2C3D0F4G5H6J"

/* Builds records (each given without its NUL) into out; returns length. */
static size_t
mk(char *out, size_t cap, const char *const *recs)
{
	size_t	n = 0, l;

	for (; *recs != NULL; recs++) {
		l = strlen(*recs) + 1;
		assert_true(n + l <= cap);
		memcpy(out + n, *recs, l);
		n += l;
	}
	return n;
}

static void
bad(const char *const *recs, const char *why_want)
{
	struct queue_env	 e;
	char			 data[4096];
	const char		*why = NULL;
	size_t			 n;

	n = mk(data, sizeof(data), recs);
	assert_int_equal(queue_env_decode(data, n, &e, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, why_want);
	/* Nothing left allocated. */
	assert_null(e.sender);
	assert_null(e.rcpt);
	assert_int_equal(e.nrcpt, 0);
}

static char *
file_read(const char *path, size_t *len)
{
	char	*data;
	ssize_t	 r;
	int	 fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	data = malloc(65536);
	assert_non_null(data);
	r = read(fd, data, 65536);
	assert_true(r >= 0 && r < 65536);
	assert_int_equal(close(fd), 0);
	data[r] = '\0';
	*len = (size_t)r;
	return data;
}

/* Parses the small text form of NAME.in into e (strings malloc'd). */
static void
golden_in(const char *text, struct queue_env *e)
{
	char		*copy, *line, *save = NULL, *sp, *v, **nr;
	const char	*err;

	memset(e, 0, sizeof(*e));
	copy = strdup(text);
	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		sp = strchr(line, ' ');
		v = sp == NULL ? line + strlen(line) : sp + 1;
		if (sp != NULL)
			*sp = '\0';
		if (strcmp(line, "id") == 0) {
			assert_true(strlen(v) == QUEUEID_LEN);
			memcpy(e->id, v, QUEUEID_LEN + 1);
		} else if (strcmp(line, "arrival") == 0) {
			e->arrival = strtonum(v, 0, LLONG_MAX, &err);
			assert_null(err);
		} else if (strcmp(line, "uid") == 0) {
			e->uid = strtonum(v, 0, LLONG_MAX, &err);
			assert_null(err);
		} else if (strcmp(line, "sender") == 0) {
			e->sender = strdup(v);
			assert_non_null(e->sender);
		} else if (strcmp(line, "origin") == 0) {
			assert_int_equal(queue_origin_parse(v, &e->origin), 0);
		} else if (strcmp(line, "ret") == 0) {
			assert_int_equal(dsn_ret_parse(v, strlen(v), &e->ret),
			    0);
		} else if (strcmp(line, "envid") == 0) {
			e->envid = strdup(v);
			assert_non_null(e->envid);
		} else if (strcmp(line, "notify") == 0) {
			assert_true(e->nrcpt > 0);
			if (e->notify == NULL)
				e->notify = calloc(QUEUE_RCPT_MAX,
				    sizeof(*e->notify));
			assert_non_null(e->notify);
			assert_int_equal(dsn_notify_parse(v, strlen(v),
			    &e->notify[e->nrcpt - 1]), 0);
		} else if (strcmp(line, "orcpt") == 0) {
			assert_true(e->nrcpt > 0);
			if (e->orcpt == NULL)
				e->orcpt = calloc(QUEUE_RCPT_MAX,
				    sizeof(*e->orcpt));
			assert_non_null(e->orcpt);
			e->orcpt[e->nrcpt - 1] = strdup(v);
		} else if (strcmp(line, "rcpt") == 0) {
			nr = reallocarray(e->rcpt, e->nrcpt + 1, sizeof(*nr));
			assert_non_null(nr);
			e->rcpt = nr;
			e->rcpt[e->nrcpt] = strdup(v);
			assert_non_null(e->rcpt[e->nrcpt]);
			e->nrcpt++;
		} else
			fail_msg("unknown field %s", line);
	}
	free(copy);
}

static void
assert_env_equal(const struct queue_env *a, const struct queue_env *b)
{
	size_t	i;

	assert_string_equal(a->id, b->id);
	assert_int_equal(a->arrival, b->arrival);
	assert_int_equal(a->uid, b->uid);
	assert_string_equal(a->sender, b->sender);
	assert_int_equal(a->nrcpt, b->nrcpt);
	for (i = 0; i < a->nrcpt; i++)
		assert_string_equal(a->rcpt[i], b->rcpt[i]);
	assert_int_equal(a->origin, b->origin);
	assert_int_equal(a->ret, b->ret);
	if (a->envid == NULL || b->envid == NULL)
		assert_ptr_equal(a->envid, b->envid);
	else
		assert_string_equal(a->envid, b->envid);
	for (i = 0; i < a->nrcpt; i++) {
		assert_int_equal(a->notify != NULL ? a->notify[i] : 0,
		    b->notify != NULL ? b->notify[i] : 0);
		if (a->orcpt != NULL && a->orcpt[i] != NULL)
			assert_string_equal(a->orcpt[i], b->orcpt[i]);
		else
			assert_true(b->orcpt == NULL || b->orcpt[i] == NULL);
	}
}

static void
test_golden(void **state)
{
	static const char *names[] = { "simple", "nullsender", "dsn", NULL };
	struct queue_env	 want, got;
	struct buf		 b;
	char			 path[256], *in, *ref;
	const char		*why = NULL, *dir;
	size_t			 inlen, reflen;
	int			 i;

	(void)state;
	if ((dir = getenv("FACTEUR_TESTDATA")) == NULL)
		dir = "tests/data";
	for (i = 0; names[i] != NULL; i++) {
		(void)snprintf(path, sizeof(path), "%s/queue_env/%s.in", dir,
		    names[i]);
		in = file_read(path, &inlen);
		(void)snprintf(path, sizeof(path), "%s/queue_env/%s.ref", dir,
		    names[i]);
		ref = file_read(path, &reflen);
		golden_in(in, &want);

		buf_init(&b, 1024 * 1024);
		assert_int_equal(queue_env_encode(&b, &want), 0);
		assert_int_equal(b.len, reflen);
		assert_memory_equal(b.data, ref, reflen);
		buf_free(&b);

		assert_int_equal(queue_env_decode(ref, reflen, &got, &why), 0);
		assert_env_equal(&got, &want);
		queue_env_free(&got);
		queue_env_free(&want);
		free(in);
		free(ref);
	}
}

static void
test_round_trip(void **state)
{
	struct queue_env	 e, d;
	struct buf		 b;
	char			*rcpt[QUEUE_RCPT_MAX], big[QUEUE_ADDR_MAX + 1];
	const char		*why = NULL;
	size_t			 i;

	(void)state;
	for (i = 0; i < QUEUE_RCPT_MAX; i++) {
		assert_true(asprintf(&rcpt[i], "user%zu@example.org", i) > 0);
	}
	memset(big, 'x', QUEUE_ADDR_MAX);
	big[QUEUE_ADDR_MAX] = '\0';
	memset(&e, 0, sizeof(e));
	memcpy(e.id, ID, sizeof(ID));
	e.arrival = 253402300799LL;
	e.uid = 4294967294LL;
	e.sender = big;		/* exactly QUEUE_ADDR_MAX */
	e.rcpt = rcpt;
	e.nrcpt = QUEUE_RCPT_MAX;	/* exactly the maximum */
	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(queue_env_encode(&b, &e), 0);
	assert_int_equal(queue_env_decode(b.data, b.len, &d, &why), 0);
	assert_env_equal(&d, &e);
	queue_env_free(&d);
	assert_null(d.sender);

	/* UTF-8 addresses are fine. */
	buf_reset(&b);
	e.sender = "j\xc3\xb6rg@example.org";
	e.nrcpt = 1;
	assert_int_equal(queue_env_encode(&b, &e), 0);
	assert_int_equal(queue_env_decode(b.data, b.len, &d, &why), 0);
	assert_string_equal(d.sender, e.sender);
	queue_env_free(&d);

	/* Encoding appends to what the buffer holds. */
	buf_reset(&b);
	assert_int_equal(buf_append(&b, "xy", 2), 0);
	assert_int_equal(queue_env_encode(&b, &e), 0);
	assert_memory_equal(b.data, "xyV1\0I", 6);
	assert_int_equal(queue_env_decode(b.data + 2, b.len - 2, &d, &why), 0);
	queue_env_free(&d);
	buf_free(&b);
	for (i = 0; i < QUEUE_RCPT_MAX; i++)
		free(rcpt[i]);
}

static void
test_encode_refuses(void **state)
{
	struct queue_env	 e;
	struct buf		 b;
	char			*rcpt[2] = { "bob@example.net", "x\r\ny" };
	char			 big[QUEUE_ADDR_MAX + 2];

	(void)state;
	memset(&e, 0, sizeof(e));
	memcpy(e.id, ID, sizeof(ID));
	e.arrival = 1;
	e.uid = 2;
	e.sender = "a@b";
	e.rcpt = rcpt;
	e.nrcpt = 1;
	buf_init(&b, 4096);
	assert_int_equal(queue_env_encode(&b, &e), 0);
	buf_reset(&b);

	e.nrcpt = 0;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	assert_int_equal(errno, EINVAL);
	e.nrcpt = QUEUE_RCPT_MAX + 1;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.nrcpt = 2;		/* second has CR LF */
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.nrcpt = 1;
	e.sender = "a\tb";
	assert_int_equal(queue_env_encode(&b, &e), -1);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.sender = big;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.sender = NULL;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.sender = "";
	rcpt[0] = "";
	assert_int_equal(queue_env_encode(&b, &e), -1);
	rcpt[0] = "bob@example.net";
	e.uid = -1;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.uid = 4294967295LL;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.uid = 0;
	e.arrival = -5;
	assert_int_equal(queue_env_encode(&b, &e), -1);
	e.arrival = 0;
	memcpy(e.id, "1B2C3D0F4G5H6I", QUEUEID_LEN + 1);	/* no I */
	assert_int_equal(queue_env_encode(&b, &e), -1);
	assert_int_equal(b.len, 0);
	memcpy(e.id, ID, sizeof(ID));
	assert_int_equal(queue_env_encode(&b, &e), 0);
	buf_free(&b);

	/* A buffer too small keeps what it had, no half envelope. */
	buf_init(&b, 30);
	assert_int_equal(buf_append(&b, "keep", 4), 0);
	assert_int_equal(queue_env_encode(&b, &e), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "keep", 5);
	buf_free(&b);
}

static void
test_malformed(void **state)
{
	(void)state;
	/* Missing E; a record out of order; unknown records. */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", NULL },
	    "truncated envelope (no E record)");
	bad((const char *[]){ "I" ID, "V1", "A1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "V record missing at the start");
	bad((const char *[]){ "V1", "A1", "I" ID, "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "I record missing after V");
	bad((const char *[]){ "V1", "I" ID, "U0", "A1", "Fa@b", "Tc@d", "E",
	    NULL }, "A record missing after I");
	bad((const char *[]){ "V1", "I" ID, "A1", "Fa@b", "U0", "Tc@d", "E",
	    NULL }, "U record missing after A");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Tc@d", "Fa@b", "E",
	    NULL }, "F record missing after U");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "Fx@y",
	    "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "V1",
	    "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Xc@d", "E",
	    NULL }, "unknown record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "t",
	    "E", NULL }, "unknown record");

	/* Control bytes, over-long values. */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc\r@d", "E",
	    NULL }, "control byte or over-long value in a record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa\n@b", "Tc@d", "E",
	    NULL }, "control byte or over-long value in a record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d\x7f",
	    "E", NULL }, "control byte or over-long value in a record");

	/* The optional records of issue 14: order, values. */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "RHDRS",
	    "Psmtp", "Tc@d", "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "DQ", "RFULL",
	    "Tc@d", "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "NNEVER",
	    "Tc@d", "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "Orfc822;c@d", "NNEVER", "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "NNEVER", "NNEVER", "E", NULL }, "record out of order");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Pfax",
	    "Tc@d", "E", NULL }, "bad origin record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "RALL",
	    "Tc@d", "E", NULL }, "bad RET record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "D",
	    "Tc@d", "E", NULL }, "bad ENVID record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "DÃ©",
	    "Tc@d", "E", NULL }, "bad ENVID record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "NNEVER,SUCCESS", "E", NULL }, "bad NOTIFY record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "N",
	    "E", NULL }, "bad NOTIFY record");
	/* one spelling per envelope: the canonical forms only */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "NDELAY,SUCCESS", "E", NULL }, "bad NOTIFY record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "Nsuccess", "E", NULL }, "bad NOTIFY record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "rhdrs",
	    "Tc@d", "E", NULL }, "unknown record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Rhdrs",
	    "Tc@d", "E", NULL }, "bad RET record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "Oc@d", "E", NULL }, "bad ORCPT record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d",
	    "Orfc 822;c@d", "E", NULL }, "bad ORCPT record");

	/* No recipient; an empty recipient. */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "E", NULL },
	    "no recipient");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "T", "E",
	    NULL }, "empty recipient");

	/* Versions, IDs, numbers. */
	bad((const char *[]){ "V2", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "unknown envelope version");
	bad((const char *[]){ "V", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "unknown envelope version");
	bad((const char *[]){ "V1", "Ishort", "A1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad queue ID");
	bad((const char *[]){ "V1", "I1B2C3D0F4G5H6U", "A1", "U0", "Fa@b",
	    "Tc@d", "E", NULL }, "bad queue ID");
	bad((const char *[]){ "V1", "I" ID, "A", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A-1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A01", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A 1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A+1", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A1x", "U0", "Fa@b", "Tc@d", "E",
	    NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A99999999999999999999", "U0",
	    "Fa@b", "Tc@d", "E", NULL }, "bad arrival time");
	bad((const char *[]){ "V1", "I" ID, "A1", "U4294967295", "Fa@b",
	    "Tc@d", "E", NULL }, "bad uid");
	bad((const char *[]){ "V1", "I" ID, "A1", "U", "Fa@b", "Tc@d", "E",
	    NULL }, "bad uid");

	/* The end: trailing garbage, a value on E, an empty record. */
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "E",
	    "Te@f", NULL }, "data after the E record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "E",
	    "", NULL }, "data after the E record");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "Tc@d", "Ex",
	    NULL }, "E record with a value");
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", "Fa@b", "", "Tc@d",
	    "E", NULL }, "empty record");
	bad((const char *[]){ NULL }, "empty envelope");
}

static void
test_truncated(void **state)
{
	struct queue_env	 e;
	char			 data[256];
	const char		*why;
	size_t			 n, i;

	(void)state;
	n = mk(data, sizeof(data), (const char *[]){ "V1", "I" ID, "A1",
	    "U0", "Fa@b", "Tc@d", "Te@f", "E", NULL });
	assert_int_equal(queue_env_decode(data, n, &e, NULL), 0);
	queue_env_free(&e);
	/* Every proper prefix is refused. */
	for (i = 0; i < n; i++) {
		why = NULL;
		assert_int_equal(queue_env_decode(data, i, &e, &why), -1);
		assert_non_null(why);
		assert_null(e.rcpt);
	}
	why = NULL;
	assert_int_equal(queue_env_decode(data, n - 1, &e, &why), -1);
	assert_string_equal(why, "truncated envelope (record without its NUL)");
	assert_int_equal(queue_env_decode(data, n - 2, &e, &why), -1);
	assert_string_equal(why, "truncated envelope (no E record)");
}

static void
test_limits(void **state)
{
	struct queue_env	 e;
	struct buf		 b;
	char			 big[QUEUE_ADDR_MAX + 3];
	static const char	 hdr[] = "V1\0I" ID "\0A1\0U0\0F\0";
	const char		*why = NULL;
	size_t			 i;

	(void)state;
	/* QUEUE_RCPT_MAX + 1 recipients. */
	buf_init(&b, 1024 * 1024);
	assert_int_equal(buf_append(&b, hdr, sizeof(hdr) - 1), 0);
	for (i = 0; i <= QUEUE_RCPT_MAX; i++)
		assert_int_equal(buf_append(&b, "Tx@y", 5), 0);
	assert_int_equal(buf_append(&b, "E", 2), 0);
	assert_int_equal(queue_env_decode(b.data, b.len, &e, &why), -1);
	assert_string_equal(why, "too many recipients");
	assert_null(e.rcpt);
	buf_free(&b);

	/* A value of QUEUE_ADDR_MAX + 1 octets. */
	big[0] = 'F';
	memset(big + 1, 'z', QUEUE_ADDR_MAX + 1);
	big[QUEUE_ADDR_MAX + 2] = '\0';
	bad((const char *[]){ "V1", "I" ID, "A1", "U0", big, "Tc@d", "E",
	    NULL }, "control byte or over-long value in a record");
	/* A header alone has no recipient and no end. */
	assert_int_equal(queue_env_decode(hdr, sizeof(hdr) - 1, &e, &why), -1);
	assert_string_equal(why, "truncated envelope (no E record)");

	assert_true(queue_value_ok("", 0));
	assert_true(queue_value_ok("a@b", 3));
	assert_true(queue_value_ok("\xc3\xa9", 2));
	assert_false(queue_value_ok("a\0b", 3));
	assert_false(queue_value_ok("a\tb", 3));
	assert_false(queue_value_ok("a\x7f", 2));
	assert_false(queue_value_ok("\x1b", 1));
	assert_true(queue_value_ok(big, QUEUE_ADDR_MAX));
	assert_false(queue_value_ok(big, QUEUE_ADDR_MAX + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
