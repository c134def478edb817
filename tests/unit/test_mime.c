/*
 * Unit tests for lib/mime/mime.c and mime_fields.c: the tree of parts,
 * byte ranges and line counts, MIME fields and RFC 2231 parameters, the
 * default types, and the bad cases: unbalanced and missing boundaries,
 * headers cut short, nesting 1000 deep, a million tiny parts, NUL and
 * 8-bit bytes, huge headers, too many parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "mime.h"

#define S(lit)	(lit), (sizeof(lit) - 1)

/* The part's body as a NUL-terminated copy (tests hold no NUL). */
static char *
body(const struct mime_tree *t, const struct mime_part *p)
{
	char	*s;

	assert_non_null(s = malloc(p->body_len + 1));
	memcpy(s, t->msg + p->body_off, p->body_len);
	s[p->body_len] = '\0';
	return s;
}

static void
assert_body(const struct mime_tree *t, const struct mime_part *p,
    const char *want)
{
	char	*s = body(t, p);

	assert_string_equal(s, want);
	free(s);
}

static void
assert_str(struct mime_str s, const char *want)
{
	assert_non_null(s.p);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

/* Every part lies inside its parent and the input; returns the count. */
static size_t
check_ranges(const struct mime_tree *t, const struct mime_part *p,
    unsigned depth)
{
	const struct mime_part	*c;
	size_t			 n = 1, kids = 0;

	assert_true(depth <= MIME_DEPTH_MAX);
	assert_int_equal(p->depth, depth);
	assert_true(p->hdr_off <= t->len);
	assert_true(p->hdr_len <= t->len - p->hdr_off);
	assert_true(p->body_off <= t->len);
	assert_true(p->body_len <= t->len - p->body_off);
	assert_true(p->hdr_off + p->hdr_len <= p->body_off);
	for (c = p->child; c != NULL; c = c->next) {
		assert_ptr_equal(c->parent, p);
		assert_true(c->hdr_off >= p->body_off);
		assert_true(c->body_off + c->body_len <=
		    p->body_off + p->body_len);
		n += check_ranges(t, c, depth + 1);
		kids++;
	}
	assert_int_equal(kids, p->nchildren);
	if (p->flags & MIME_F_MULTIPART)
		assert_true(kids >= 1);
	if (p->flags & MIME_F_MESSAGE)
		assert_int_equal(kids, 1);
	return n;
}

static struct mime_tree *
parse_ok(const char *msg, size_t len)
{
	struct mime_tree	*t;

	assert_non_null(t = mime_parse(msg, len));
	assert_int_equal(check_ranges(t, t->root, 0), t->nparts);
	return t;
}

static void
test_plain(void **state)
{
	static const char	 msg[] =
	    "Subject: hi\r\nFrom: a@b\r\n\r\nline one\r\nline two\r\n";
	struct mime_tree	*t;
	const struct mime_part	*r;

	(void)state;
	t = parse_ok(S(msg));
	r = t->root;
	assert_int_equal(t->nparts, 1);
	assert_int_equal(t->limits, 0);
	assert_int_equal(r->hdr_off, 0);
	assert_int_equal(r->hdr_len, 26);
	assert_body(t, r, "line one\r\nline two\r\n");
	assert_int_equal(r->body_lines, 2);
	assert_true(r->flags & MIME_F_DEFAULT_TYPE);
	assert_true(mime_part_is(r, "TEXT", "Plain"));
	assert_str(mime_part_charset(r), "us-ascii");
	assert_int_equal(r->cte, MIME_CTE_7BIT);
	assert_null(r->cte_name.p);
	assert_int_equal(mime_header_len(S(msg)), 26);
	mime_free(t);
}

static void
test_no_header_and_empty(void **state)
{
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S("\r\nbody only"));
	assert_int_equal(t->root->hdr_len, 2);
	assert_body(t, t->root, "body only");
	assert_int_equal(t->root->body_lines, 0);
	mime_free(t);

	t = parse_ok("", 0);
	assert_int_equal(t->root->hdr_len, 0);
	assert_int_equal(t->root->body_len, 0);
	mime_free(t);

	/* A header and no empty line: no body at all. */
	t = parse_ok(S("Subject: x\r\nFrom: y"));
	assert_int_equal(t->root->hdr_len, 19);
	assert_int_equal(t->root->body_len, 0);
	assert_int_equal(mime_header_len(S("Subject: x\r\nFrom: y")), 19);
	mime_free(t);
}

static void
test_multipart(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=\"b 1\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b 1\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "\r\n"
	    "one\r\n"
	    "\r\n"
	    "--b 1 \t\r\n"
	    "\r\n"
	    "two\r\n"
	    "--b 1--\r\n"
	    "epilogue\r\n";
	struct mime_tree	*t;
	const struct mime_part	*r, *a, *b;

	(void)state;
	t = parse_ok(S(msg));
	r = t->root;
	assert_true(r->flags & MIME_F_MULTIPART);
	assert_false(r->flags & MIME_F_NO_END);
	assert_int_equal(r->nchildren, 2);
	a = r->child;
	b = a->next;
	/* The CRLF before a delimiter belongs to the delimiter. */
	assert_body(t, a, "one\r\n");
	assert_int_equal(a->body_lines, 1);
	assert_str(mime_part_charset(a), "UTF-8");
	assert_int_equal(a->hdr_len, 43);
	assert_body(t, b, "two");
	assert_int_equal(b->body_lines, 0);
	assert_int_equal(b->hdr_len, 2);
	assert_true(b->flags & MIME_F_DEFAULT_TYPE);
	/* The multipart's body is everything after its header. */
	assert_int_equal(r->body_off + r->body_len, sizeof(msg) - 1);
	mime_free(t);
}

static void
test_missing_final_boundary(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\none\n--b\n\ntwo\n";
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S(msg));
	assert_true(t->root->flags & MIME_F_NO_END);
	assert_int_equal(t->root->nchildren, 2);
	/* The last part runs to the end, its final LF included. */
	assert_body(t, t->root->child->next, "two\n");
	assert_int_equal(t->root->child->next->body_lines, 1);
	mime_free(t);
}

static void
test_unbalanced_boundaries(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=inner\n\n"
	    "--inner\n\ninner one\n"
	    "--outer\n\nouter two\n"
	    "--inner\n\nnot a delimiter any more\n"
	    "--outer--\n";
	struct mime_tree	*t;
	const struct mime_part	*in, *two;

	(void)state;
	t = parse_ok(S(msg));
	in = t->root->child;
	/* The outer delimiter ended the inner multipart, unterminated. */
	assert_true(in->flags & MIME_F_MULTIPART);
	assert_true(in->flags & MIME_F_NO_END);
	assert_int_equal(in->nchildren, 1);
	assert_body(t, in->child, "inner one");
	two = in->next;
	assert_non_null(two);
	assert_body(t, two, "outer two\n--inner\n\nnot a delimiter any more");
	assert_false(t->root->flags & MIME_F_NO_END);
	mime_free(t);
}

static void
test_boundary_lookalikes(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nx\n--bb\n--b-- trailing junk\n- --b\n--b\n\ny\n--b--\n";
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S(msg));
	assert_int_equal(t->root->nchildren, 2);
	/* "--bb" and "--b-- junk" are content, "--b" alone is not. */
	assert_body(t, t->root->child, "x\n--bb\n--b-- trailing junk\n- --b");
	assert_body(t, t->root->child->next, "y");
	mime_free(t);
}

static void
test_header_cut_by_delimiter(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/html\n--b\n--b\n\nlast\n--b--\n";
	struct mime_tree	*t;
	const struct mime_part	*p;

	(void)state;
	t = parse_ok(S(msg));
	assert_int_equal(t->root->nchildren, 3);
	p = t->root->child;
	assert_true(p->flags & MIME_F_HEADER_CUT);
	assert_true(mime_part_is(p, "text", "html"));
	assert_int_equal(p->body_len, 0);
	/* Two delimiters in a row: an empty part. */
	p = p->next;
	assert_int_equal(p->hdr_len, 0);
	assert_int_equal(p->body_len, 0);
	assert_body(t, p->next, "last");
	mime_free(t);
}

static void
test_message_header_then_delimiter(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	    "Subject: x\r\n\r\n--b--\r\n";
	struct mime_tree	*t;
	const struct mime_part	*m;

	(void)state;
	/*
	 * The inner header's empty line is the CRLF before "--b--", which
	 * is the delimiter's: the inner message is its header line alone.
	 */
	t = parse_ok(S(msg));
	m = t->root->child;
	assert_int_equal(m->child->hdr_len, 12);
	assert_int_equal(m->child->body_len, 0);
	assert_int_equal(m->body_len, 12);
	assert_int_equal(m->body_lines, 1);
	mime_free(t);
}

static void
test_no_boundary_gets_empty_part(void **state)
{
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S("Content-Type: multipart/mixed\n\n--b\n\nx\n"));
	assert_int_equal(t->root->nchildren, 1);
	assert_true(t->root->child->flags & MIME_F_SYNTHETIC);
	assert_int_equal(t->root->child->body_len, 0);
	assert_true(mime_part_is(t->root->child, "text", "plain"));
	mime_free(t);

	/* A close delimiter and no part. */
	t = parse_ok(S("Content-Type: multipart/digest; boundary=b\n\n--b--\n"));
	assert_int_equal(t->root->nchildren, 1);
	assert_true(t->root->child->flags & MIME_F_SYNTHETIC);
	assert_true(mime_part_is(t->root->child, "text", "plain"));
	mime_free(t);
}

static void
test_message_rfc822(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nContent-Type: multipart/alternative; boundary=c\n\n"
	    "--c\n\nalt\n--c--\n"
	    "--b--\n";
	struct mime_tree	*t;
	const struct mime_part	*m, *in;

	(void)state;
	t = parse_ok(S(msg));
	m = t->root->child;
	assert_true(m->flags & MIME_F_MESSAGE);
	in = m->child;
	assert_int_equal(in->hdr_off, m->body_off);
	assert_true(in->flags & MIME_F_MULTIPART);
	assert_body(t, in->child, "alt");
	assert_int_equal(m->body_off + m->body_len, in->body_off + in->body_len);
	assert_body(t, m, "Subject: inner\nContent-Type: multipart/alternative;"
	    " boundary=c\n\n--c\n\nalt\n--c--");
	assert_int_equal(m->body_lines, 6);
	mime_free(t);
}

static void
test_encoded_message_not_parsed(void **state)
{
	static const char	 msg[] =
	    "Content-Type: message/rfc822\nContent-Transfer-Encoding: BASE64\n"
	    "\nU3ViamVjdDogaGkKCmJvZHkK\n";
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S(msg));
	assert_true(t->root->flags & MIME_F_MESSAGE);
	assert_true(t->root->flags & MIME_F_UNPARSED);
	assert_int_equal(t->root->cte, MIME_CTE_BASE64);
	assert_str(t->root->cte_name, "BASE64");
	assert_true(t->root->child->flags & MIME_F_SYNTHETIC);
	assert_int_equal(t->root->child->hdr_len, 0);
	assert_int_equal(t->root->child->body_len, 0);
	assert_int_equal(t->limits, 0);
	mime_free(t);
}

static void
test_digest_default(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: one\n\nfirst\n"
	    "--d\nContent-Type: text/plain\n\nsecond\n--d--\n";
	struct mime_tree	*t;
	const struct mime_part	*p;

	(void)state;
	t = parse_ok(S(msg));
	p = t->root->child;
	assert_true(mime_part_is(p, "message", "rfc822"));
	assert_true(p->flags & MIME_F_MESSAGE);
	assert_true(p->flags & MIME_F_DEFAULT_TYPE);
	assert_body(t, p->child, "first");
	assert_true(mime_part_is(p->next, "text", "plain"));
	mime_free(t);
}

static void
test_fields(void **state)
{
	static const char	 msg[] =
	    "Content-Type: Text/HTML (comment) ; charset = \"utf-8\" ;\r\n"
	    "\tformat=flowed; name=my file.txt; junk; x=\"a\\\"b\"\r\n"
	    "Content-Type: text/x-ignored\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable (yes)\r\n"
	    "Content-ID:  <id@x> \r\n"
	    "Content-Description: folded\r\n  description\r\n"
	    "Content-Disposition: attachment; filename=\"a b.txt\"\r\n"
	    "Content-Language: en (English), \r\n fr-CA\r\n"
	    "Content-Location: http://example.org/x\r\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	    "\r\nbody";
	struct mime_tree	*t;
	const struct mime_part	*p;
	const struct mime_param	*q;

	(void)state;
	t = parse_ok(S(msg));
	p = t->root;
	assert_str(p->type, "Text");
	assert_str(p->subtype, "HTML");
	assert_false(p->flags & MIME_F_DEFAULT_TYPE);
	q = p->params;
	assert_str(q->name, "charset");
	assert_str(q->value, "utf-8");
	q = q->next;
	assert_str(q->name, "format");
	assert_str(q->value, "flowed");
	q = q->next;
	assert_str(q->value, "my file.txt");
	q = q->next;
	assert_str(q->name, "x");
	assert_str(q->value, "a\"b");
	assert_null(q->next);
	assert_int_equal(p->cte, MIME_CTE_QP);
	assert_str(p->cte_name, "Quoted-Printable");
	assert_str(p->id, "<id@x>");
	assert_str(p->description, "folded  description");
	assert_str(p->disposition, "attachment");
	assert_str(mime_param_find(p->disposition_params, "FILENAME")->value,
	    "a b.txt");
	assert_str(p->language->tag, "en");
	assert_str(p->language->next->tag, "fr-CA");
	assert_null(p->language->next->next);
	assert_str(p->location, "http://example.org/x");
	assert_str(p->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
	assert_null(mime_param_find(p->params, "junk"));
	mime_free(t);
}

static void
test_mime_version(void **state)
{
	struct mime_tree	*t;

	(void)state;
	/* Neither MIME-Version nor Content-Type: not MIME. */
	t = parse_ok(S("Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: inline\n\nQUJD\n"));
	assert_int_equal(t->root->cte, MIME_CTE_7BIT);
	assert_null(t->root->cte_name.p);
	assert_null(t->root->disposition.p);
	mime_free(t);
	t = parse_ok(S("Content-Transfer-Encoding: base64\n"
	    "MIME-Version: 1.0\n\nQUJD\n"));
	assert_int_equal(t->root->cte, MIME_CTE_BASE64);
	mime_free(t);
	t = parse_ok(S("Content-Transfer-Encoding: base64\n"
	    "Content-Type: text/plain\n\nQUJD\n"));
	assert_int_equal(t->root->cte, MIME_CTE_BASE64);
	mime_free(t);
	/* A body part needs neither; an encapsulated message does. */
	t = parse_ok(S("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Transfer-Encoding: base64\n\nQUJD\n--b\n"
	    "Content-Type: message/rfc822\n\n"
	    "Content-Transfer-Encoding: base64\n\nQUJD\n--b--\n"));
	assert_int_equal(t->root->child->cte, MIME_CTE_BASE64);
	assert_int_equal(t->root->child->next->child->cte, MIME_CTE_7BIT);
	mime_free(t);
}

static void
test_bad_content_type(void **state)
{
	static const char *const bad[] = {
		"Content-Type: text\n\nx",
		"Content-Type: ; charset=utf-8\n\nx",
		"Content-Type: /plain\n\nx",
		"Content-Type: te\xc3\xa9xt/plain\n\nx",
		"Content-Type:\n\nx",
	};
	struct mime_tree	*t;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = parse_ok(bad[i], strlen(bad[i]));
		assert_true(t->root->flags & MIME_F_DEFAULT_TYPE);
		assert_true(mime_part_is(t->root, "text", "plain"));
		assert_null(t->root->params);
		mime_free(t);
	}
}

static void
test_rfc2231(void **state)
{
	static const char	 msg[] =
	    "Content-Type: application/octet-stream;\n"
	    " name*1*=%E9.txt; name*0*=iso-8859-1'fr'caf;\n"
	    " title*=us-ascii'en'This%20is%20%2A%2A%2Afun%2A%2A%2A;\n"
	    " plain*0=\"one \"; plain*1=two;\n"
	    " mixed*0*=utf-8''%C3%A9; mixed*1=\" 50%\";\n"
	    " odd*=unknown-cs''%FF%41; bad*=noquotes%41\n\nx";
	struct mime_tree	*t;
	const struct mime_param	*q;

	(void)state;
	t = parse_ok(S(msg));
	q = mime_param_find(t->root->params, "name");
	assert_str(q->name, "name*");
	assert_str(q->value, "iso-8859-1'fr'caf%E9.txt");
	assert_str(q->utf8, "caf\xc3\xa9.txt");
	q = mime_param_find(t->root->params, "title");
	assert_str(q->utf8, "This is ***fun***");
	q = mime_param_find(t->root->params, "plain");
	assert_str(q->name, "plain");
	assert_str(q->value, "one two");
	assert_str(q->utf8, "one two");
	/* A plain section inside an extended value is %-encoded. */
	q = mime_param_find(t->root->params, "mixed");
	assert_str(q->value, "utf-8''%C3%A9%2050%25");
	assert_str(q->utf8, "\xc3\xa9 50%");
	/* Unknown charset: the bytes, made valid UTF-8 (windows-1252). */
	q = mime_param_find(t->root->params, "odd");
	assert_str(q->utf8, "\xc3\xbf" "A");
	q = mime_param_find(t->root->params, "bad");
	assert_str(q->utf8, "noquotesA");
	mime_free(t);
}

static void
test_extended_boundary(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary*=us-ascii''x%79z\n\n"
	    "--xyz\n\none\n--xyz--\n";
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S(msg));
	assert_int_equal(t->root->nchildren, 1);
	assert_false(t->root->child->flags & MIME_F_SYNTHETIC);
	assert_body(t, t->root->child, "one");
	mime_free(t);
}

static void
test_nul_and_8bit(void **state)
{
	static const char	 msg[] =
	    "Subject: \xff\xfe\0\x80\n"
	    "Content-Type: multipart/mixed; boundary=\"\xc3\xa9\"\n\n"
	    "--\xc3\xa9\nContent-Type: text/plain; name=\"\0x\xe9\"\n\n"
	    "a\0b\n--\xc3\xa9--\n";
	struct mime_tree	*t;
	const struct mime_param	*q;

	(void)state;
	t = parse_ok(S(msg));
	assert_int_equal(t->root->nchildren, 1);
	assert_int_equal(t->root->child->body_len, 3);
	assert_memory_equal(t->msg + t->root->child->body_off, "a\0b", 3);
	q = mime_param_find(t->root->child->params, "name");
	assert_int_equal(q->value.len, 3);
	assert_memory_equal(q->value.p, "\0x\xe9", 3);
	mime_free(t);
}

static void
test_bare_lf_and_crlf_mixed(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\n"
	    "--b\n\r\none\r\n--b\r\n\ntwo\n--b--";
	struct mime_tree	*t;

	(void)state;
	t = parse_ok(S(msg));
	assert_int_equal(t->root->nchildren, 2);
	assert_body(t, t->root->child, "one");
	assert_body(t, t->root->child->next, "two");
	assert_false(t->root->flags & MIME_F_NO_END);
	mime_free(t);
}

static void
test_nested_1000_deep(void **state)
{
	struct mime_tree	*t;
	const struct mime_part	*p;
	struct buf		 m;
	int			 i;

	(void)state;
	buf_init(&m, 1 << 24);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&m, "Content-Type: multipart/mixed;"
		    " boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i), 0);
	assert_int_equal(buf_append_str(&m, "\r\ndeepest\r\n"), 0);
	for (i = 999; i >= 0; i--)
		assert_int_equal(buf_printf(&m, "--b%d--\r\n", i), 0);
	t = parse_ok(m.data, m.len);
	assert_true(t->limits & MIME_LIMIT_DEPTH);
	for (p = t->root; p->child != NULL; p = p->child)
		;
	/* The deepest part is whole: it holds the rest, bytes included. */
	assert_true(p->flags & MIME_F_UNPARSED);
	assert_true(p->depth < MIME_DEPTH_MAX);
	assert_non_null(memmem(t->msg + p->body_off, p->body_len, "deepest",
	    7));
	assert_true(t->nparts <= MIME_DEPTH_MAX);
	mime_free(t);

	/* Messages inside messages, 1000 deep. */
	buf_reset(&m);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_append_str(&m,
		    "Content-Type: message/rfc822\r\n\r\n"), 0);
	assert_int_equal(buf_append_str(&m, "Subject: last\r\n\r\nbody"), 0);
	t = parse_ok(m.data, m.len);
	assert_true(t->limits & MIME_LIMIT_DEPTH);
	for (p = t->root; p->child != NULL; p = p->child)
		;
	assert_true(p->flags & MIME_F_SYNTHETIC);
	assert_true(p->parent->flags & MIME_F_UNPARSED);
	mime_free(t);
	buf_free(&m);
}

static void
test_million_tiny_parts(void **state)
{
	struct mime_tree	*t;
	const struct mime_part	*p;
	struct buf		 m;
	int			 i;

	(void)state;
	buf_init(&m, 1 << 26);
	assert_int_equal(buf_append_str(&m,
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"), 0);
	for (i = 0; i < 1000000; i++)
		assert_int_equal(buf_append(&m, "--b\r\n\r\nx\r\n", 10), 0);
	assert_int_equal(buf_append_str(&m, "--b--\r\n"), 0);
	t = parse_ok(m.data, m.len);
	assert_true(t->limits & MIME_LIMIT_PARTS);
	assert_int_equal(t->nparts, MIME_PARTS_MAX);
	assert_int_equal(t->root->nchildren, MIME_PARTS_MAX - 1);
	/* The last part holds the rest: nothing is dropped. */
	for (p = t->root->child; p->next != NULL; p = p->next)
		;
	assert_int_equal(p->body_off + p->body_len + 9, m.len);
	assert_false(t->root->flags & MIME_F_NO_END);
	mime_free(t);
	buf_free(&m);
}

static void
test_header_limit(void **state)
{
	struct mime_tree	*t;
	struct buf		 m;

	(void)state;
	buf_init(&m, 1 << 24);
	while (m.len < MIME_HEADER_MAX)
		assert_int_equal(buf_append_str(&m, "X-Filler: "
		    "0123456789012345678901234567890123456789\r\n"), 0);
	assert_int_equal(buf_append_str(&m,
	    "Content-Type: image/png\r\n\r\nbody"), 0);
	t = parse_ok(m.data, m.len);
	assert_true(t->limits & MIME_LIMIT_HEADER);
	assert_true(t->root->flags & MIME_F_HEADER_LIMIT);
	/* The field past the limit was not read; the ranges are whole. */
	assert_true(mime_part_is(t->root, "text", "plain"));
	assert_int_equal(t->root->hdr_len, m.len - 4);
	assert_body(t, t->root, "body");
	mime_free(t);
	buf_free(&m);
}

static void
test_params_limit(void **state)
{
	struct mime_tree	*t;
	const struct mime_param	*q;
	struct buf		 m;
	size_t			 n = 0;
	int			 i;

	(void)state;
	buf_init(&m, 1 << 20);
	assert_int_equal(buf_append_str(&m, "Content-Type: text/plain"), 0);
	for (i = 0; i < MIME_PARAMS_MAX + 10; i++)
		assert_int_equal(buf_printf(&m, "; p%d=v", i), 0);
	assert_int_equal(buf_append_str(&m, "\r\n\r\nx"), 0);
	t = parse_ok(m.data, m.len);
	assert_true(t->limits & MIME_LIMIT_PARAMS);
	for (q = t->root->params; q != NULL; q = q->next)
		n++;
	assert_int_equal(n, MIME_PARAMS_MAX);
	mime_free(t);
	buf_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_no_header_and_empty),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_missing_final_boundary),
		cmocka_unit_test(test_unbalanced_boundaries),
		cmocka_unit_test(test_boundary_lookalikes),
		cmocka_unit_test(test_header_cut_by_delimiter),
		cmocka_unit_test(test_message_header_then_delimiter),
		cmocka_unit_test(test_no_boundary_gets_empty_part),
		cmocka_unit_test(test_message_rfc822),
		cmocka_unit_test(test_encoded_message_not_parsed),
		cmocka_unit_test(test_digest_default),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_mime_version),
		cmocka_unit_test(test_bad_content_type),
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_extended_boundary),
		cmocka_unit_test(test_nul_and_8bit),
		cmocka_unit_test(test_bare_lf_and_crlf_mixed),
		cmocka_unit_test(test_nested_1000_deep),
		cmocka_unit_test(test_million_tiny_parts),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_params_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
