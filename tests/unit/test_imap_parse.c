/*
 * Unit tests for imapd/imap_parse.c (the tokenizer) and imapd/imap_read.c
 * (the command reader): tags, verbs, atoms, quoted strings, literals,
 * lists and FETCH sections, each as a tree of arguments; then what is
 * refused: extra spaces, unbalanced parentheses, NUL, CR or bad UTF-8 in
 * quoted strings, nesting too deep, too many arguments.  The reader over
 * a pipe: continuation requests for synchronizing literals only, a
 * literal over the limit refused before it is sent, a non-synchronizing
 * one refused with BYE, LITERAL-, APPEND's larger limit and its spool,
 * bare LF, over-long lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "imap_parse.h"
#include "imap_read.h"

/* Parses s; renders the arguments as "A:x S:y (A:z) L:w" in out. */
static int
parse(const char *s, size_t n, char *out, size_t outlen, const char **err)
{
	static struct imap_command cmd;
	static int	 init;
	char		*copy;
	int		 r;

	if (!init) {
		assert_int_equal(imap_command_init(&cmd, 0), 0);
		init = 1;
	}
	copy = malloc(n + 1);
	memcpy(copy, s, n);
	r = imap_parse(copy, n, NULL, 0, &cmd, err);
	out[0] = '\0';
	if (r == 0) {
		size_t	 len;
		/* Depth-first render. */
		const struct imap_arg *stack[IMAP_DEPTH_MAX + 2];
		int	 sp = 0;
		const struct imap_arg *a = imap_arg_at(&cmd, cmd.first);

		len = (size_t)snprintf(out, outlen, "%s %s", cmd.tag, cmd.verb);
		while (a != NULL || sp > 0) {
			if (a == NULL) {
				a = stack[--sp];
				len += (size_t)snprintf(out + len, outlen - len,
				    ")");
				a = imap_arg_next(&cmd, a);
				continue;
			}
			if (a->type == IMAP_ARG_LIST) {
				len += (size_t)snprintf(out + len, outlen - len,
				    " (");
				stack[sp++] = a;
				a = imap_arg_child(&cmd, a);
				continue;
			}
			len += (size_t)snprintf(out + len, outlen - len,
			    " %c:%.*s", a->type == IMAP_ARG_ATOM ? 'A' :
			    (a->flags & IMAP_ARGF_LITERAL) ? 'L' : 'S',
			    (int)a->len, a->s);
			a = imap_arg_next(&cmd, a);
		}
	}
	free(copy);
	return r;
}

#define OK(in, want) do {						\
	char		 o[4096];					\
	const char	*e;						\
	assert_int_equal(parse(in, sizeof(in) - 1, o, sizeof(o), &e), 0); \
	assert_string_equal(o, want);					\
} while (0)
#define BAD(in, why) do {						\
	char		 o[4096];					\
	const char	*e;						\
	assert_int_equal(parse(in, sizeof(in) - 1, o, sizeof(o), &e), -1); \
	assert_non_null(e);						\
	assert_non_null(strstr(e, why));				\
} while (0)

static void
test_parse_good(void **state)
{
	(void)state;
	OK("a1 NOOP\r\n", "a1 NOOP");
	OK("x login alice \"p w\\\"\\\\\"\r\n", "x LOGIN A:alice S:p w\"\\");
	OK("t FETCH 1:*,3 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)\r\n",
	    "t FETCH A:1:*,3 ( A:FLAGS A:BODY.PEEK[HEADER.FIELDS (From To)]"
	    "<0.10>)");
	OK("t FETCH 1 BODY[HEADER.FIELDS (\"From\")]\r\n",
	    "t FETCH A:1 A:BODY[HEADER.FIELDS (\"From\")]");
	OK("t APPEND INBOX (\\Seen) {3}\r\nabc\r\n",
	    "t APPEND A:INBOX ( A:\\Seen) L:abc");
	OK("t LOGIN {1+}\r\na {2}\r\nbc\r\n", "t LOGIN L:a L:bc");
	OK("t LIST \"\" %.*\r\n", "t LIST S: A:%.*");
	OK("t SEARCH () (ALL)\r\n", "t SEARCH () ( A:ALL)");
	OK("t STORE 1 +FLAGS (\\Seen $Junk)\r\n",
	    "t STORE A:1 A:+FLAGS ( A:\\Seen A:$Junk)");
	OK("t SELECT foo[bar\r\n", "t SELECT A:foo[bar");
	OK("t SEARCH SUBJECT \"caf\xc3\xa9\"\r\n",
	    "t SEARCH A:SUBJECT S:caf\xc3\xa9");
	OK("t APPEND INBOX ~{3}\r\na\0b\r\n", "t APPEND A:INBOX L:a");
}

static void
test_parse_bad(void **state)
{
	char	 deep[256], many[40000];
	size_t	 k, n;

	(void)state;
	BAD("NOOP\r\n", "bad character in tag");
	BAD("+a NOOP\r\n", "missing tag");
	BAD("a\r\n", "bad character in tag");
	BAD("a NOOP", "CRLF");
	BAD("a 1NOOP\r\n", "missing command");
	BAD("a NOOP \r\n", "extra space");
	BAD("a FETCH 1  FLAGS\r\n", "extra space");
	BAD("a FETCH 1 ( FLAGS)\r\n", "extra space");
	BAD("a FETCH 1 (FLAGS )\r\n", "extra space");
	BAD("a FETCH 1 (FLAGS\r\n", "unbalanced");
	BAD("a FETCH 1 FLAGS)\r\n", "unbalanced");
	BAD("a FETCH 1 BODY[HEADER\r\n", "section");
	BAD("a SEARCH \"x\r\n", "quoted");
	BAD("a SEARCH \"x\\n\"\r\n", "escape");
	BAD("a SEARCH \"\xff\"\r\n", "UTF-8");
	BAD("a SEARCH \"\xc0\x80\"\r\n", "UTF-8");	/* overlong */
	BAD("a SEARCH \"\xed\xa0\x80\"\r\n", "UTF-8");	/* surrogate */
	BAD("a SEARCH {3}\r\na\0b\r\n", "NUL in literal");
	BAD("a SEARCH {9}\r\nab\r\n", "past the command");
	BAD("a SEARCH {x}\r\n", "literal");
	BAD("a SEARCH {99999999999}\r\n", "literal too large");
	BAD("a NOOP\0\r\n", "bad command name");
	BAD("a SEARCH a\0b\r\n", "bad character");
	BAD("a SEARCH a\rb\r\n", "bad character");
	/* nesting */
	n = (size_t)snprintf(deep, sizeof(deep), "a FETCH 1 ");
	for (k = 0; k < IMAP_DEPTH_MAX + 1; k++)
		deep[n++] = '(';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "FLAGS");
	for (k = 0; k < IMAP_DEPTH_MAX + 1; k++)
		deep[n++] = ')';
	memcpy(deep + n, "\r\n", 3);
	{
		char		 o[4096];
		const char	*e;

		assert_int_equal(parse(deep, n + 2, o, sizeof(o), &e), -1);
		assert_non_null(strstr(e, "too deep"));
		/* one level less is fine */
		memmove(deep + 10, deep + 11, n + 2 - 11);
		memmove(deep + n - 2, deep + n - 1, 3);
		assert_int_equal(parse(deep, n, o, sizeof(o), &e), 0);
	}
	/* too many arguments */
	n = (size_t)snprintf(many, sizeof(many), "a SEARCH");
	for (k = 0; k < IMAP_ARGS_MAX + 1; k++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, " A");
	n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n");
	{
		char		 o[4096];
		const char	*e;

		assert_int_equal(parse(many, n, o, sizeof(o), &e), -1);
		assert_non_null(strstr(e, "too many arguments"));
	}
}

static void
test_arg_helpers(void **state)
{
	struct imap_command	 cmd;
	const struct imap_arg	*a;
	const char		*err;
	char			 t[] = "a X 123 4294967296 NIL \"s\" 007 * "
				    "\\Seen\r\n";
	char			 out[8];
	uint32_t		 v;

	(void)state;
	assert_int_equal(imap_command_init(&cmd, 16), 0);
	assert_int_equal(imap_parse(t, strlen(t), NULL, 0, &cmd, &err), 0);
	a = imap_arg_at(&cmd, cmd.first);
	assert_int_equal(imap_arg_number(a, &v), 0);
	assert_int_equal(v, 123);
	a = imap_arg_next(&cmd, a);
	assert_int_equal(imap_arg_number(a, &v), -1);
	a = imap_arg_next(&cmd, a);
	assert_true(imap_arg_nil(a));
	a = imap_arg_next(&cmd, a);
	assert_true(imap_arg_astring(a));
	assert_int_equal(imap_arg_copy(a, out, sizeof(out)), 0);
	assert_string_equal(out, "s");
	a = imap_arg_next(&cmd, a);
	assert_int_equal(imap_arg_number(a, &v), 0);	/* 1*DIGIT */
	a = imap_arg_next(&cmd, a);
	assert_false(imap_arg_astring(a));	/* wildcards are no astring */
	a = imap_arg_next(&cmd, a);
	assert_false(imap_arg_astring(a));
	assert_true(imap_arg_is(a, "\\seen"));
	imap_command_free(&cmd);
	/* A capacity bounds the arguments. */
	assert_int_equal(imap_command_init(&cmd, 3), 0);
	assert_int_equal(imap_parse(t, strlen(t), NULL, 0, &cmd, &err), -1);
	imap_command_free(&cmd);
}

/* ---- the reader, over a pipe ---- */

struct rd {
	struct lineio	 io;
	struct imap_reader r;
	int		 in[2], out[2];
};

static int	 spooled_fd = -1;

static int
test_spool(void *arg)
{
	(void)arg;
	spooled_fd = fileno(tmpfile());
	return dup(spooled_fd);
}

static void
rd_open(struct rd *d, const char *input, size_t n, int minus)
{
	assert_int_equal(pipe(d->in), 0);
	assert_int_equal(pipe(d->out), 0);
	assert_int_equal(write(d->in[1], input, n), (ssize_t)n);
	(void)close(d->in[1]);
	lineio_init(&d->io, d->in[0], d->out[1], 2000);
	memset(&d->r, 0, sizeof(d->r));
	d->r.io = &d->io;
	d->r.line_max = 1024;
	d->r.literal_max = 100;
	d->r.append_max = 200000;
	d->r.cmd_max = 4096;
	d->r.literal_minus = minus;
	d->r.spool = test_spool;
	d->r.cmd_timeout_ms = 5000;
	assert_int_equal(imap_read_init(&d->r), 0);
}

/* What the reader wrote back (continuation requests). */
static void
rd_written(struct rd *d, char *buf, size_t n)
{
	ssize_t	 r;

	(void)lineio_flush(&d->io);
	(void)close(d->out[1]);
	r = read(d->out[0], buf, n - 1);
	buf[r > 0 ? r : 0] = '\0';
}

static void
rd_close(struct rd *d)
{
	imap_read_free(&d->r);
	lineio_free(&d->io);
	(void)close(d->in[0]);
	(void)close(d->out[0]);
}

#define S(x)	x, sizeof(x) - 1

static void
test_read_literals(void **state)
{
	struct rd	 d;
	char		 w[256];

	(void)state;
	rd_open(&d, S("a LOGIN {5}\r\nalice {3+}\r\npw!\r\nb NOOP\r\n"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_OK);
	assert_int_equal(d.r.text.len,
	    strlen("a LOGIN {5}\r\nalice {3+}\r\npw!\r\n"));
	assert_int_equal(d.r.nlits, 2);
	assert_string_equal(d.r.tag, "a");
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_OK);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_EOF);
	rd_written(&d, w, sizeof(w));
	assert_string_equal(w, "+ OK\r\n");	/* one, for {5} only */
	rd_close(&d);
}

static void
test_read_limits(void **state)
{
	struct rd	 d;
	char		 w[256], big[2048];

	(void)state;
	/* A synchronizing literal over the limit: refused unsent. */
	rd_open(&d, S("a SEARCH {101}\r\nb NOOP\r\n"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_BAD);
	assert_string_equal(d.r.code, "TOOBIG");
	assert_string_equal(d.r.tag, "a");
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_OK);
	rd_written(&d, w, sizeof(w));
	assert_string_equal(w, "");		/* no "+" was sent */
	rd_close(&d);
	/* APPEND's own limit, and NO instead of BAD. */
	rd_open(&d, S("a APPEND INBOX {200001}\r\n"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_NO);
	rd_close(&d);
	/* A non-synchronizing one cannot be refused unread: BYE. */
	rd_open(&d, S("a SEARCH {101+}\r\n"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_FATAL);
	rd_close(&d);
	/* LITERAL-: 4096 octets at most without synchronizing. */
	rd_open(&d, S("a APPEND INBOX {4097+}\r\n"), 1);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_FATAL);
	rd_close(&d);
	/* A line over the limit. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "a NOOP ", 7);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	rd_open(&d, big, sizeof(big), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_FATAL);
	assert_string_equal(d.r.err, "line too long");
	rd_close(&d);
	/* A bare LF: BAD, and the reader stays in step. */
	rd_open(&d, S("a NOOP\nb NOOP\r\n"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_BAD);
	assert_string_equal(d.r.tag, "a");
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_OK);
	assert_string_equal(d.r.tag, "b");
	rd_close(&d);
	/* Cut inside a literal. */
	rd_open(&d, S("a LOGIN {5+}\r\nab"), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_GONE);
	rd_close(&d);
}

static void
test_read_spool(void **state)
{
	struct rd		 d;
	struct imap_command	 cmd;
	const struct imap_arg	*a;
	const char		*err;
	char			 msg[IMAP_INLINE_MAX + 100], head[64];
	ssize_t			 n;

	(void)state;
	memset(msg, 'm', sizeof(msg));
	n = snprintf(head, sizeof(head), "a APPEND INBOX {%zu+}\r\n",
	    sizeof(msg));
	{
		char	*all = malloc((size_t)n + sizeof(msg) + 2);

		memcpy(all, head, (size_t)n);
		memcpy(all + n, msg, sizeof(msg));
		memcpy(all + n + sizeof(msg), "\r\n", 2);
		assert_int_equal(pipe(d.in), 0);
		assert_int_equal(pipe(d.out), 0);
		/* Too big for the pipe in one go: a writer child. */
		if (fork() == 0) {
			(void)close(d.in[0]);
			_exit(write(d.in[1], all, (size_t)n + sizeof(msg) + 2) ==
			    (ssize_t)((size_t)n + sizeof(msg) + 2) ? 0 : 1);
		}
		free(all);
	}
	(void)close(d.in[1]);
	lineio_init(&d.io, d.in[0], d.out[1], 5000);
	memset(&d.r, 0, sizeof(d.r));
	d.r.io = &d.io;
	d.r.line_max = 1024;
	d.r.literal_max = 100;
	d.r.append_max = sizeof(msg);
	d.r.cmd_max = 4096;
	d.r.spool = test_spool;
	d.r.cmd_timeout_ms = 5000;
	assert_int_equal(imap_read_init(&d.r), 0);
	assert_int_equal(imap_read_command(&d.r), IMAP_READ_OK);
	/* The literal went to the spool, not to memory. */
	assert_true(d.r.text.len < 100);
	assert_int_equal(imap_command_init(&cmd, 16), 0);
	assert_int_equal(imap_parse(d.r.text.data, d.r.text.len, d.r.lits,
	    d.r.nlits, &cmd, &err), 0);
	a = imap_arg_next(&cmd, imap_arg_at(&cmd, cmd.first));
	assert_true(a->flags & IMAP_ARGF_SPOOLED);
	assert_int_equal(a->len, sizeof(msg));
	assert_int_equal(lseek(a->fd, 0, SEEK_END), (off_t)sizeof(msg));
	imap_command_free(&cmd);
	rd_close(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_arg_helpers),
		cmocka_unit_test(test_read_literals),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_read_spool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
