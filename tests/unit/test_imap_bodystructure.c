/*
 * test_imap_bodystructure: ENVELOPE, BODYSTRUCTURE and BODY of the
 * golden messages tests/data/bodystructure/<name>.eml against
 * <name>.ref (real-world shapes: Gmail, Outlook, Thunderbird, Apple Mail,
 * PGP and S/MIME, digests, calendar invitations, broken mail; NOTES.md
 * there says where Dovecot answers differently and why), then the
 * formatter's corner cases: the depth limit's application/octet-stream,
 * UTF8=ACCEPT strings, message/global.  FACTEUR_REGEN=1 rewrites the
 * .ref files.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "mime.h"
#include "mime_fixture.h"

#define DATADIR	"tests/data/bodystructure/"

/* "ENVELOPE ...\r\nBODYSTRUCTURE ...\r\nBODY ...\r\n" of a stored message. */
static void
answer(const char *msg, size_t len, struct buf *out)
{
	struct mime_tree	*t;
	struct buf		 w;

	assert_int_equal(fixture_wire(msg, len, &w), 0);
	assert_non_null(t = mime_parse(w.data, w.len));
	buf_init(out, 16 * 1024 * 1024);
	assert_int_equal(buf_append_str(out, "ENVELOPE "), 0);
	assert_int_equal(imap_envelope_write(out, w.data,
	    mime_header_len(w.data, w.len), 0), 0);
	assert_int_equal(buf_append_str(out, "\r\nBODYSTRUCTURE "), 0);
	assert_int_equal(imap_bodystructure_write(out, t, t->root, 1, 0), 0);
	assert_int_equal(buf_append_str(out, "\r\nBODY "), 0);
	assert_int_equal(imap_bodystructure_write(out, t, t->root, 0, 0), 0);
	assert_int_equal(buf_append_str(out, "\r\n"), 0);
	mime_free(t);
	buf_free(&w);
}

static void
test_golden(void **state)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[512], *msg, *ref;
	size_t		 len, reflen, n, count = 0;
	struct buf	 out;
	FILE		*f;

	(void)state;
	assert_non_null(d = opendir(DATADIR));
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), DATADIR "%s", e->d_name);
		assert_non_null(msg = fixture_read(path, &len));
		answer(msg, len, &out);
		snprintf(path, sizeof(path), DATADIR "%.*s.ref", (int)(n - 4),
		    e->d_name);
		if (getenv("FACTEUR_REGEN") != NULL) {
			assert_non_null(f = fopen(path, "wb"));
			assert_int_equal(fwrite(out.data, 1, out.len, f),
			    out.len);
			assert_int_equal(fclose(f), 0);
		}
		ref = fixture_read(path, &reflen);
		if (ref == NULL)
			fail_msg("%s: no .ref (FACTEUR_REGEN=1 writes it)", path);
		if (reflen != out.len || memcmp(ref, out.data, reflen) != 0)
			fail_msg("%s differs; got:\n%s", path, out.data);
		free(ref);
		free(msg);
		buf_free(&out);
		count++;
	}
	closedir(d);
	/* The corpus is there: an empty directory proves nothing. */
	assert_true(count >= 16);
}

static char *
structure(const char *msg, int extended, unsigned flags)
{
	struct mime_tree	*t;
	struct buf		 w, out;
	char			*s;

	assert_int_equal(fixture_wire(msg, strlen(msg), &w), 0);
	assert_non_null(t = mime_parse(w.data, w.len));
	buf_init(&out, 1 << 20);
	assert_int_equal(imap_bodystructure_write(&out, t, t->root, extended,
	    flags), 0);
	s = buf_strdup(&out);
	mime_free(t);
	buf_free(&w);
	buf_free(&out);
	return s;
}

static void
test_depth_limit_is_opaque(void **state)
{
	struct buf	 m;
	char		*s;
	int		 i;

	(void)state;
	buf_init(&m, 1 << 20);
	for (i = 0; i < MIME_DEPTH_MAX + 5; i++)
		assert_int_equal(buf_printf(&m, "Content-Type: multipart/mixed;"
		    " boundary=b%d\n\n--b%d\n", i, i), 0);
	assert_int_equal(buf_append_str(&m, "\nleaf\n"), 0);
	s = structure(m.data, 0, 0);
	/* Past the limit: one opaque part with the multipart's parameters. */
	assert_non_null(strstr(s, "(\"application\" \"octet-stream\" "
	    "(\"boundary\" \"b99\") NIL NIL \"7bit\" "));
	assert_null(strstr(s, "\"b100\""));
	free(s);
	buf_free(&m);
}

static void
test_utf8_accept(void **state)
{
	static const char msg[] =
	    "Content-Type: text/plain; name=\"r\xc3\xa9sum\xc3\xa9.txt\"\n\nx\n";
	char	*s;

	(void)state;
	s = structure(msg, 0, 0);
	assert_non_null(strstr(s, "\"name\" {12}\r\nr\xc3\xa9sum\xc3\xa9.txt"));
	free(s);
	s = structure(msg, 0, IMAP_FMT_UTF8);
	assert_non_null(strstr(s, "\"name\" \"r\xc3\xa9sum\xc3\xa9.txt\""));
	free(s);
}

static void
test_message_global(void **state)
{
	static const char msg[] =
	    "Content-Type: Message/Global\n\nSubject: caf\xc3\xa9\n\nbody\n";
	char	*s;

	(void)state;
	s = structure(msg, 1, IMAP_FMT_UTF8);
	assert_string_equal(s, "(\"message\" \"global\" NIL NIL NIL \"7bit\" "
	    "24 (NIL \"caf\xc3\xa9\" NIL NIL NIL NIL NIL NIL NIL NIL) "
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "6 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)");
	free(s);
}

static void
test_text_charset_default(void **state)
{
	char	*s;

	(void)state;
	/* The default charset comes after the part's own parameters. */
	s = structure("Content-Type: text/plain; format=flowed\n\nx", 0, 0);
	assert_string_equal(s, "(\"text\" \"plain\" (\"format\" \"flowed\" "
	    "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)");
	free(s);
	/* A non-text part gets none, and no line count. */
	s = structure("Content-Type: image/png\n\nx", 0, 0);
	assert_string_equal(s, "(\"image\" \"png\" NIL NIL NIL \"7bit\" 3)");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_depth_limit_is_opaque),
		cmocka_unit_test(test_utf8_accept),
		cmocka_unit_test(test_message_global),
		cmocka_unit_test(test_text_charset_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
