/*
 * libFuzzer target for pop3d/pop3_cmd.c: the input is what a client sends,
 * run through pop3_loop twice over an in-memory transport, once in the
 * AUTHORIZATION state with pop3d's login buffer and once in TRANSACTION
 * with pop3session's, each with handlers for that state's verbs only (as
 * the programs have).  Checks what the table promises the handlers: a
 * verb reaches a handler only in a state that allows it; a message number
 * is 1 or more where one is required and absent where none is allowed;
 * strings lie inside the line and hold no NUL, CR or LF (nor a blank,
 * but for PASS's); and what the loop writes is whole CRLF lines, with one
 * -ERR per error counted and the close at pop3_error_limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3_cmd.h"
#include "sasl.h"

#define FUZZ_ERROR_LIMIT	8
#define FUZZ_OUT_MAX		(1024 * 1024)

struct pop3 {
	struct pop3_conn	 c;
	const uint8_t		*in;
	size_t			 inlen, inpos;
	char			*out;
	size_t			 outlen;
};

static ssize_t
fuzz_read(void *ctx, void *p, size_t n)
{
	struct pop3	*f = ctx;

	/* Short reads, so lines also arrive in pieces. */
	if (n > 7)
		n = 7;
	if (n > f->inlen - f->inpos)
		n = f->inlen - f->inpos;
	memcpy(p, f->in + f->inpos, n);
	f->inpos += n;
	return (ssize_t)n;
}

static ssize_t
fuzz_write(void *ctx, const void *p, size_t n)
{
	struct pop3	*f = ctx;

	if (n > FUZZ_OUT_MAX - f->outlen)
		abort();
	memcpy(f->out + f->outlen, p, n);
	f->outlen += n;
	return (ssize_t)n;
}

/* Always "bytes pending", so that lineio never polls the dummy fd. */
static int
fuzz_pending(void *ctx)
{
	(void)ctx;
	return 1;
}

static void
check_str(const struct pop3 *f, const char *s, int blanks)
{
	const char	*line = f->c.line.data;
	size_t		 len;

	if (s == NULL)
		return;
	if (s < line || s > line + f->c.line.len)
		abort();
	len = strlen(s);
	if (s + len > line + f->c.line.len)
		abort();
	if (memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL)
		abort();
	if (!blanks && memchr(s, ' ', len) != NULL)
		abort();
}

static int
fuzz_handle(struct pop3 *f, enum pop3_verb v, int states,
    const struct pop3_args *a)
{
	if (!(f->c.state & states))
		abort();
	check_str(f, a->s1, v == VERB_PASS);
	check_str(f, a->s2, 0);
	switch (v) {
	case VERB_USER:
	case VERB_PASS:
		if (a->s1 == NULL || *a->s1 == '\0' || a->s2 != NULL ||
		    a->msg != 0)
			abort();
		break;
	case VERB_AUTH:
		if ((a->s1 == NULL && a->s2 != NULL) || a->msg != 0)
			abort();
		break;
	case VERB_RETR:
	case VERB_DELE:
	case VERB_TOP:
		if (a->msg == 0 || a->s1 != NULL || a->s2 != NULL)
			abort();
		break;
	case VERB_LIST:
	case VERB_UIDL:
		if (a->s1 != NULL || a->s2 != NULL)
			abort();
		break;
	default:
		if (a->msg != 0 || a->lines != 0 || a->s1 != NULL ||
		    a->s2 != NULL)
			abort();
		break;
	}
	if (v != VERB_TOP && a->lines != 0)
		abort();
	if (v == VERB_CAPA)
		return pop3_capa_reply(&f->c, "");
	if (v == VERB_QUIT)
		f->c.done = 1;
	return pop3_ok(&f->c, "%d", (int)v);
}

#define A	POP3_AUTH
#define T	POP3_TRANS
#define HANDLER(verb, states)						\
static int								\
h_##verb(struct pop3 *f, const struct pop3_args *a)			\
{									\
	return fuzz_handle(f, VERB_##verb, states, a);			\
}
HANDLER(USER, A) HANDLER(PASS, A) HANDLER(AUTH, A) HANDLER(STLS, A)
HANDLER(CAPA, A | T) HANDLER(QUIT, A | T) HANDLER(NOOP, T) HANDLER(STAT, T)
HANDLER(LIST, T) HANDLER(UIDL, T) HANDLER(RETR, T) HANDLER(TOP, T)
HANDLER(DELE, T) HANDLER(RSET, T)

static const pop3_handler auth_handlers[VERB_COUNT] = {
	[VERB_USER] = h_USER, [VERB_PASS] = h_PASS, [VERB_AUTH] = h_AUTH,
	[VERB_STLS] = h_STLS, [VERB_CAPA] = h_CAPA, [VERB_QUIT] = h_QUIT,
};
static const pop3_handler trans_handlers[VERB_COUNT] = {
	[VERB_CAPA] = h_CAPA, [VERB_QUIT] = h_QUIT, [VERB_NOOP] = h_NOOP,
	[VERB_STAT] = h_STAT, [VERB_LIST] = h_LIST, [VERB_UIDL] = h_UIDL,
	[VERB_RETR] = h_RETR, [VERB_TOP] = h_TOP, [VERB_DELE] = h_DELE,
	[VERB_RSET] = h_RSET,
};

/* Whole CRLF lines, no other CR, LF or NUL; returns the -ERR lines. */
static unsigned
check_output(const char *p, size_t n)
{
	const char	*lf;
	unsigned	 errs = 0;
	size_t		 len;

	while (n > 0) {
		if ((lf = memchr(p, '\n', n)) == NULL)
			abort();
		len = (size_t)(lf - p) + 1;
		if (len < 2 || p[len - 2] != '\r' ||
		    memchr(p, '\r', len - 2) != NULL ||
		    memchr(p, '\0', len) != NULL)
			abort();
		if (len >= 4 && memcmp(p, "-ERR", 4) == 0)
			errs++;
		p += len;
		n -= len;
	}
	return errs;
}

static void
fuzz_run(const uint8_t *d, size_t n, int state, size_t linemax,
    const pop3_handler *handlers)
{
	static char		 out[FUZZ_OUT_MAX];
	static int		 devnull = -1;
	struct pop3		 f;
	struct line_transport	 tr;
	unsigned		 errs;

	if (devnull == -1 && (devnull = open("/dev/null", O_RDWR)) == -1)
		abort();
	memset(&f, 0, sizeof(f));
	f.in = d;
	f.inlen = n;
	f.out = out;
	f.c.state = state;
	f.c.error_limit = FUZZ_ERROR_LIMIT;
	buf_init(&f.c.line, linemax);
	lineio_init(&f.c.io, devnull, devnull, 1000);
	tr.read = fuzz_read;
	tr.write = fuzz_write;
	tr.pending = fuzz_pending;
	tr.ctx = &f;
	lineio_set_transport(&f.c.io, &tr);
	(void)pop3_loop(&f.c, &f, handlers);
	(void)lineio_flush(&f.c.io);
	errs = check_output(out, f.outlen);
	if (f.c.errors > FUZZ_ERROR_LIMIT ||
	    errs != f.c.errors + (f.c.errors == FUZZ_ERROR_LIMIT))
		abort();
	if (f.c.errors == FUZZ_ERROR_LIMIT && !f.c.done)
		abort();
	lineio_free(&f.c.io);
	buf_free(&f.c.line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_run(data, n, POP3_AUTH, SASL_LINE_MAX + 2, auth_handlers);
	fuzz_run(data, n, POP3_TRANS, POP3_LINE_MAX, trans_handlers);
	return 0;
}
