/*
 * conf_fixture.h: what the unit tests of lib/conf (test_conf.c,
 * test_conf_value.c) share: loading text and collecting every message
 * the parser reports.
 */
#ifndef FACTEUR_CONF_FIXTURE_H
#define FACTEUR_CONF_FIXTURE_H

#define ERRS_MAX	32

struct errs {
	size_t	n;
	char	msg[ERRS_MAX][512];
	size_t	nwarn;
	char	warn[ERRS_MAX][512];
};

static void
errs_add(void *arg, const char *msg)
{
	struct errs	*e = arg;

	if (e->n < ERRS_MAX)
		(void)strlcpy(e->msg[e->n], msg, sizeof(e->msg[0]));
	e->n++;
}

/* conf_load_buf_warn's warnings, apart from the errors. */
static void __attribute__((unused))
errs_add_warn(void *arg, const char *msg)
{
	struct errs	*e = arg;

	if (e->nwarn < ERRS_MAX)
		(void)strlcpy(e->warn[e->nwarn], msg, sizeof(e->warn[0]));
	e->nwarn++;
}

static struct conf *
load(const char *text, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	return conf_load_buf(text, strlen(text), "t.conf", errs_add, e);
}

/* Loads text that must fail with exactly one error, returned in e. */
static void
load_bad(const char *text, struct errs *e)
{
	struct conf	*c;

	c = load(text, e);
	assert_null(c);
	assert_int_equal(e->n, 1);
}

#endif
