/*
 * Unit tests for pop3d/pop3_cmd.c: the command loop over pipes, with
 * handlers that record what reached them.  Commands and their arguments
 * in both states, then what is refused before any handler runs: verbs of
 * the other state, bad message numbers and argument counts, NUL, a bare
 * CR inside the line, over-long lines, and the close at the error limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pop3_cmd.h"

struct pop3 {
	struct pop3_conn	 c;
	char			 calls[1024];	/* "VERB msg lines s1 s2|" */
};

static int
record(struct pop3 *p, const char *verb, const struct pop3_args *a)
{
	size_t	 len = strlen(p->calls);

	(void)snprintf(p->calls + len, sizeof(p->calls) - len,
	    "%s %zu %lu %s %s|", verb, a->msg, a->lines,
	    a->s1 ? a->s1 : "-", a->s2 ? a->s2 : "-");
	return pop3_ok(&p->c, "%s", verb);
}

#define HANDLER(verb)							\
static int								\
h_##verb(struct pop3 *p, const struct pop3_args *a)			\
{									\
	return record(p, #verb, a);					\
}
HANDLER(USER) HANDLER(PASS) HANDLER(AUTH) HANDLER(LIST) HANDLER(RETR)
HANDLER(TOP) HANDLER(NOOP)

static int
h_QUIT(struct pop3 *p, const struct pop3_args *a)
{
	p->c.done = 1;
	return record(p, "QUIT", a);
}

static const pop3_handler auth_handlers[VERB_COUNT] = {
	[VERB_USER] = h_USER, [VERB_PASS] = h_PASS, [VERB_AUTH] = h_AUTH,
	[VERB_QUIT] = h_QUIT,
};
static const pop3_handler trans_handlers[VERB_COUNT] = {
	[VERB_LIST] = h_LIST, [VERB_RETR] = h_RETR, [VERB_TOP] = h_TOP,
	[VERB_NOOP] = h_NOOP, [VERB_QUIT] = h_QUIT,
};

/* Runs the loop on input; out gets what it wrote.  The loop's result. */
static int
run(struct pop3 *p, int state, const char *in, size_t inlen, char *out,
    size_t outsize)
{
	int	 pin[2], pout[2], r;
	ssize_t	 n;

	memset(p, 0, sizeof(*p));
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	assert_int_equal(write(pin[1], in, inlen), (ssize_t)inlen);
	(void)close(pin[1]);
	p->c.state = state;
	p->c.error_limit = 5;
	buf_init(&p->c.line, POP3_LINE_MAX);
	lineio_init(&p->c.io, pin[0], pout[1], 1000);
	r = pop3_loop(&p->c, p, state == POP3_AUTH ? auth_handlers :
	    trans_handlers);
	(void)lineio_flush(&p->c.io);
	lineio_free(&p->c.io);
	buf_free(&p->c.line);
	(void)close(pin[0]);
	(void)close(pout[1]);
	n = read(pout[0], out, outsize - 1);
	assert_true(n >= 0);
	out[n] = '\0';
	(void)close(pout[0]);
	return r;
}

#define RUN(p, st, s, out)	run(p, st, s, sizeof(s) - 1, out, sizeof(out))

struct loop_case {
	int		 state;
	const char	*in;
	size_t		 inlen;
	int		 ret;		/* of pop3_loop: -1 without QUIT */
	const char	*calls;		/* what reached the handlers */
	const char	*out;		/* what the loop wrote */
};
#define IN(s)	s, sizeof(s) - 1

static const struct loop_case loop_cases[] = {
	{ POP3_AUTH, IN("user alice\r\nPASS two words\r\nAUTH\r\n"
	    "AUTH PLAIN AGEAYg==\r\nQUIT\r\n"), 0,
	  "USER 0 0 alice -|PASS 0 0 two words -|AUTH 0 0 - -|"
	  "AUTH 0 0 PLAIN AGEAYg==|QUIT 0 0 - -|",
	  "+OK USER\r\n+OK PASS\r\n+OK AUTH\r\n+OK AUTH\r\n+OK QUIT\r\n" },
	{ POP3_TRANS, IN("LIST\r\nlist 3\r\nTOP 2 10\nRETR 1\r\nQUIT\r\n"), 0,
	  "LIST 0 0 - -|LIST 3 0 - -|TOP 2 10 - -|RETR 1 0 - -|"
	  "QUIT 0 0 - -|",
	  "+OK LIST\r\n+OK LIST\r\n+OK TOP\r\n+OK RETR\r\n+OK QUIT\r\n" },
	/* refused before any handler */
	{ POP3_TRANS, IN("USER a\r\nRETR 0\r\nRETR x\r\nTOP 1\r\n"), -1,
	  "",
	  "-ERR USER not valid in this state\r\n-ERR no such message\r\n"
	  "-ERR invalid message number\r\n-ERR wrong arguments for TOP\r\n" },
	{ POP3_AUTH, IN("USER a\0b\r\nUSER\r\nUSER a b\r\nQUIT\r\n"), 0,
	  "QUIT 0 0 - -|",
	  "-ERR NUL in command\r\n-ERR wrong arguments for USER\r\n"
	  "-ERR wrong arguments for USER\r\n+OK QUIT\r\n" },
	/*
	 * A CR inside the line used to reach the handlers: "USER alice\r#"
	 * gave USER the name "alice\r#" (found by fuzz_pop3_cmd).
	 */
	{ POP3_AUTH, IN("USER alice\r#\r\nUSER a\rb\nPASS x\r\r\nQUIT\r\n"), 0,
	  "QUIT 0 0 - -|",
	  "-ERR bare CR in command\r\n-ERR bare CR in command\r\n"
	  "-ERR bare CR in command\r\n+OK QUIT\r\n" },
};

static void
test_loop_cases(void **state)
{
	const struct loop_case	*c;
	struct pop3		 p;
	char			 out[4096];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(loop_cases) / sizeof(loop_cases[0]); i++) {
		c = &loop_cases[i];
		assert_int_equal(run(&p, c->state, c->in, c->inlen, out,
		    sizeof(out)), c->ret);
		assert_string_equal(p.calls, c->calls);
		assert_string_equal(out, c->out);
	}
}

static void
test_too_long_and_limit(void **state)
{
	struct pop3	 p;
	char		 in[2048], out[4096];
	size_t		 n;

	(void)state;
	memset(in, 'a', 300);
	n = 300;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nNOOP\r\n");
	assert_int_equal(run(&p, POP3_TRANS, in, n, out, sizeof(out)), -1);
	assert_string_equal(p.calls, "NOOP 0 0 - -|");
	assert_string_equal(out, "-ERR line too long (255 octets at most, "
	    "RFC 2449)\r\n+OK NOOP\r\n");

	/* The fifth error closes; what follows is not read. */
	assert_int_equal(RUN(&p, POP3_TRANS, "X\r\nX\r\nX\r\nX\r\nX\r\n"
	    "NOOP\r\n", out), 0);
	assert_string_equal(p.calls, "");
	assert_int_equal(p.c.errors, 5);
	assert_true(p.c.done);
	assert_non_null(strstr(out, "-ERR unknown command\r\n"
	    "-ERR too many errors, closing\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_cases),
		cmocka_unit_test(test_too_long_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
