/*
 * Unit tests for imapd's sequence sets (imap_seq.c), modified UTF-7
 * (imap_utf7.c) and mailbox names (mailbox_name.c): ranges either way
 * round, "*", merging, the numbers refused; UTF-7 both ways with the
 * RFC 3501 examples and every malformed form; names mapped to Maildir++
 * directories and every name that would leave the Maildir refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "imap_seq.h"
#include "imap_utf7.h"
#include "mailbox_name.h"

static const char *
seq(const char *s, uint32_t star)
{
	static char	 out[256];
	struct imap_seq	 q;
	struct buf	 b;
	const char	*why;

	if (imap_seq_parse(&q, s, strlen(s), star, 1, &why) == -1)
		return NULL;
	buf_init(&b, 200);
	if (q.saved)
		(void)buf_append_str(&b, "$");
	assert_int_equal(imap_seq_format(&q, &b), 0);
	(void)strlcpy(out, b.data != NULL ? b.data : "", sizeof(out));
	buf_free(&b);
	imap_seq_free(&q);
	return out;
}

static void
test_seq(void **state)
{
	struct imap_seq	 q;
	const char	*why;

	(void)state;
	assert_string_equal(seq("1", 9), "1");
	assert_string_equal(seq("1:3,5", 9), "1:3,5");
	assert_string_equal(seq("5:3", 9), "3:5");
	assert_string_equal(seq("3:*", 9), "3:9");
	assert_string_equal(seq("12:*", 9), "9:12");	/* RFC 9051 6.4.8 */
	assert_string_equal(seq("1,2,3,7:8,4", 9), "1:4,7:8");
	assert_string_equal(seq("1:4294967295", 9), "1:4294967295");
	assert_string_equal(seq("$", 9), "$");
	assert_null(seq("0", 9));
	assert_null(seq("01", 9));
	assert_null(seq("4294967296", 9));
	assert_null(seq("1,", 9));
	assert_null(seq(",1", 9));
	assert_null(seq("1::2", 9));
	assert_null(seq("1:", 9));
	assert_null(seq("a", 9));
	assert_null(seq("", 9));
	assert_null(seq("$,1", 9));
	assert_int_equal(imap_seq_parse(&q, "$", 1, 9, 0, &why), -1);
	assert_int_equal(imap_seq_parse(&q, "2:4,8", 5, 9, 0, &why), 0);
	assert_true(imap_seq_contains(&q, 3));
	assert_true(imap_seq_contains(&q, 8));
	assert_false(imap_seq_contains(&q, 5));
	assert_int_equal(imap_seq_max(&q), 8);
	imap_seq_free(&q);
}

static const char *
dec(const char *s)
{
	static char	 out[256];

	return imap_utf7_decode(s, strlen(s), out, sizeof(out)) == 0 ? out :
	    NULL;
}

static const char *
enc(const char *s)
{
	static char	 out[256];

	return imap_utf7_encode(s, strlen(s), out, sizeof(out)) == 0 ? out :
	    NULL;
}

static void
test_utf7(void **state)
{
	(void)state;
	/* RFC 3501 5.1.3's example, and the ampersand. */
	assert_string_equal(dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e");
	assert_string_equal(enc("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	assert_string_equal(dec("a&-b"), "a&b");
	assert_string_equal(enc("a&b"), "a&-b");
	assert_string_equal(dec("Caf&AOk-"), "Caf\xc3\xa9");
	assert_string_equal(enc("Caf\xc3\xa9"), "Caf&AOk-");
	/* A code point beyond the BMP: a surrogate pair. */
	assert_string_equal(enc("\xf0\x9f\x98\x80"), "&2D3eAA-");
	assert_string_equal(dec("&2D3eAA-"), "\xf0\x9f\x98\x80");
	/* malformed */
	assert_null(dec("&U,BTFw"));		/* unterminated */
	assert_null(dec("&AGE-"));		/* "a": must be direct */
	assert_null(dec("&U,BTFw-&ZeVnLIqe-"));	/* two shifts in a row */
	assert_null(dec("&U,BTF-"));		/* bits left over */
	assert_null(dec("&2D0-"));		/* a lone high surrogate */
	assert_null(dec("&3gA-"));		/* a lone low surrogate */
	assert_null(dec("&U/BTFw-"));		/* '/' is not modified base64 */
	assert_null(dec("caf\xc3\xa9"));	/* 8-bit */
	assert_null(dec("a\tb"));		/* control */
	assert_null(enc("\xff"));
	assert_null(enc("\xc3"));
}

static const char *
name(const char *s, int utf8, int *ret)
{
	static char	 out[MAILBOX_NAME_MAX + 1];
	const char	*why;

	*ret = mailbox_name_from_wire(s, strlen(s), utf8, out, sizeof(out),
	    &why);
	return *ret == 0 ? out : why;
}

static void
test_mailbox_names(void **state)
{
	char		 d[MAILBOX_NAME_MAX + 2], n[MAILBOX_NAME_MAX + 1];
	char		 longname[MAILBOX_NAME_MAX + 2];
	const char	*why;
	int		 r;

	(void)state;
	assert_string_equal(name("inbox", 0, &r), "INBOX");
	assert_string_equal(name("Inbox.Sub.inbox", 0, &r), "INBOX.Sub.inbox");
	assert_string_equal(name("inboxes", 0, &r), "inboxes");
	assert_string_equal(name("Lists.facteur", 0, &r), "Lists.facteur");
	assert_string_equal(name("Caf&AOk-", 0, &r), "Caf\xc3\xa9");
	assert_string_equal(name("Caf\xc3\xa9", 1, &r), "Caf\xc3\xa9");
	(void)name("Caf\xc3\xa9", 0, &r);
	assert_int_equal(r, -1);			/* 8-bit, not UTF-7 */
	(void)name("\xff", 1, &r);
	assert_int_equal(r, -1);
	(void)name("&Jjo", 0, &r);
	assert_int_equal(r, -1);
	/* refused, never mapped elsewhere */
	(void)name("..", 0, &r);
	assert_int_equal(r, -2);
	(void)name("a..b", 0, &r);
	assert_int_equal(r, -2);
	(void)name(".hidden", 0, &r);
	assert_int_equal(r, -2);
	(void)name("trailing.", 0, &r);
	assert_int_equal(r, -2);
	(void)name("a/b", 0, &r);
	assert_int_equal(r, -2);
	(void)name("../../etc/passwd", 0, &r);
	assert_int_equal(r, -2);
	(void)name("a\\b", 0, &r);
	assert_int_equal(r, -2);
	(void)name("x*", 0, &r);
	assert_int_equal(r, -2);
	(void)name("", 0, &r);
	assert_int_equal(r, -2);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	(void)name(longname, 1, &r);
	assert_int_equal(r, -2);
	assert_int_equal(mailbox_name_from_wire("a\0b", 3, 1, n, sizeof(n),
	    &why), -1);
	/* directories */
	assert_int_equal(mailbox_name_dir("INBOX", d, sizeof(d)), 0);
	assert_string_equal(d, ".");
	assert_int_equal(mailbox_name_dir("A.B", d, sizeof(d)), 0);
	assert_string_equal(d, ".A.B");
	assert_int_equal(mailbox_name_dir("Caf\xc3\xa9", d, sizeof(d)), 0);
	assert_string_equal(d, ".Caf&AOk-");
	assert_int_equal(mailbox_name_dir("../x", d, sizeof(d)), -1);
	assert_int_equal(mailbox_name_from_dir(".Caf&AOk-", n, sizeof(n)), 0);
	assert_string_equal(n, "Caf\xc3\xa9");
	assert_int_equal(mailbox_name_from_dir(".INBOX", n, sizeof(n)), -1);
	assert_int_equal(mailbox_name_from_dir("..", n, sizeof(n)), -1);
	assert_int_equal(mailbox_name_from_dir("..facteur-deleted.1", n,
	    sizeof(n)), -1);
	assert_int_equal(mailbox_name_from_dir("cur", n, sizeof(n)), -1);
	assert_int_equal(mailbox_name_from_dir(".a/b", n, sizeof(n)), -1);
	assert_true(mailbox_name_is_child("A.B", "A"));
	assert_false(mailbox_name_is_child("AB", "A"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_utf7),
		cmocka_unit_test(test_mailbox_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
