/*
 * Unit tests for imapsession's store (imapd/store_*.c) in a scratch
 * Maildir: flags in file names; a folder's first sync giving UIDs in
 * order of arrival and writing facteur-uidlist; a second reader getting
 * the same UIDs; files that appear, are renamed (flags) and vanish;
 * new/ taken into cur/; a record cut short by a crash ignored and cut
 * off; a malformed list replaced with a new UIDVALIDITY; keywords named
 * once; the cache remembering a message across readers and forgetting
 * nothing when a file is renamed.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "store_cache.h"

static char	 root[64];

static void
put(const char *sub, const char *name, const char *content)
{
	char	 p[512];
	FILE	*f;

	(void)snprintf(p, sizeof(p), "%s/%s/%s", root, sub, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int
setup(void **state)
{
	char	 p[512];

	(void)state;
	(void)strlcpy(root, "/tmp/facteur-store-XXXXXX", sizeof(root));
	assert_non_null(mkdtemp(root));
	(void)snprintf(p, sizeof(p), "%s/cur", root);
	assert_int_equal(mkdir(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/new", root);
	assert_int_equal(mkdir(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/tmp", root);
	assert_int_equal(mkdir(p, 0700), 0);
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_flags_names(void **state)
{
	char		 out[256];
	uint8_t		 fl;
	uint32_t	 kw;

	(void)state;
	flags_from_name("123.M1P2.h:2,DFPSTab", &fl, &kw);
	assert_int_equal(fl, MSG_DRAFT | MSG_FLAGGED | MSG_SEEN | MSG_DELETED);
	assert_int_equal(kw, 3);
	flags_from_name("123.M1P2.h", &fl, &kw);
	assert_int_equal(fl, 0);
	flags_from_name("123.M1P2.h:1,S", &fl, &kw);	/* not ":2," */
	assert_int_equal(fl, 0);
	/* Unknown letters (P) are kept; ours in ASCII order. */
	assert_int_equal(flags_name("123.M1P2.h:2,PS", 10, MSG_ANSWERED |
	    MSG_FLAGGED, 1U << 2, out, sizeof(out)), 0);
	assert_string_equal(out, "123.M1P2.h:2,FPRc");
	assert_int_equal(flags_name("123.M1P2.h", 10, 0, 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "123.M1P2.h:2,");
	assert_int_equal(flags_name("123.M1P2.h", 10, 0, 0, out, 12), -1);
}

static void
test_sync(void **state)
{
	struct folder	 f, g;
	char		 p[512];
	size_t		 i;

	(void)state;
	put("new", "1600000002.M5P1.h", "Subject: b\n\nb\n");
	put("cur", "1600000001.M9P1.h:2,S", "Subject: a\n\na\n");
	put("cur", "1600000002.M10P1.h:2,", "Subject: c\n\nc\n");
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(f.n, 3);
	/* Order of arrival: seconds, then microseconds as numbers. */
	assert_int_equal(f.msgs[0].uid, 1);
	assert_string_equal(folder_msg_name(&f, 0), "1600000001.M9P1.h:2,S");
	assert_true(f.msgs[0].flags & MSG_SEEN);
	assert_string_equal(folder_msg_name(&f, 1), "1600000002.M5P1.h:2,");
	assert_string_equal(folder_msg_name(&f, 2), "1600000002.M10P1.h:2,");
	assert_int_equal(f.uidnext, 4);
	/* new/ was taken into cur/ */
	(void)snprintf(p, sizeof(p), "%s/cur/1600000002.M5P1.h:2,", root);
	assert_int_equal(access(p, F_OK), 0);
	for (i = 0; i < 3; i++)
		assert_true(f.msgs[i].flags & MSG_RECENT);

	/* Another reader: the same UIDs, none \Recent any more. */
	assert_int_equal(folder_open(&g, "INBOX", root, 1), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.uidvalidity, f.uidvalidity);
	for (i = 0; i < 3; i++) {
		assert_int_equal(g.msgs[i].uid, f.msgs[i].uid);
		assert_false(g.msgs[i].flags & MSG_RECENT);
	}

	/* f flags one, removes one; a delivery arrives. */
	assert_int_equal(folder_msg_set_flags(&f, 1, MSG_FLAGGED, 1), 0);
	assert_string_equal(folder_msg_name(&f, 1), "1600000002.M5P1.h:2,Fa");
	assert_int_equal(folder_msg_remove(&f, 2), 0);
	put("new", "1600000003.M1P1.h", "Subject: d\n\nd\n");
	g.dirty = 1;
	assert_int_equal(folder_sync(&g), 0);
	assert_int_equal(g.n, 4);
	assert_true(g.msgs[1].state & MSGS_CHANGED);
	assert_true(g.msgs[1].flags & MSG_FLAGGED);
	assert_int_equal(g.msgs[1].kw, 1);
	assert_true(g.msgs[2].state & MSGS_GONE);
	assert_int_equal(g.msgs[3].uid, 4);
	assert_true(g.msgs[3].state & MSGS_NEW);	/* read-only: left */
	assert_int_equal(folder_drop_gone(&g), 1);
	assert_int_equal(g.n, 3);
	assert_int_equal(folder_find_uid(&g, 4), 2);
	assert_int_equal(folder_find_uid(&g, 3), -1);
	folder_close(&g);
	folder_close(&f);
}

static void
test_uidlist_damage(void **state)
{
	struct folder	 f;
	char		 p[512];
	uint32_t	 v;
	FILE		*fp;

	(void)state;
	put("cur", "1600000001.M1P1.h:2,", "x\n");
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	v = f.uidvalidity;
	folder_close(&f);
	/* A record cut short (a crash in an append): ignored, cut off. */
	(void)snprintf(p, sizeof(p), "%s/%s", root, STORE_UIDLIST);
	fp = fopen(p, "a");
	fputs("U", fp);
	fputc(0, fp);
	fputs("7", fp);
	fclose(fp);
	put("cur", "1600000002.M1P1.h:2,", "y\n");
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(f.uidvalidity, v);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.msgs[1].uid, 2);
	folder_close(&f);
	/* A malformed list: a new one, with another UIDVALIDITY. */
	fp = fopen(p, "w");
	fputs("garbage", fp);
	fputc(0, fp);
	fputs("1", fp);
	fputc(0, fp);
	fputs("2", fp);
	fputc(0, fp);
	fputs("3", fp);
	fputc(0, fp);
	fclose(fp);
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_not_equal(f.uidvalidity, v);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.msgs[0].uid, 1);
	folder_close(&f);
}

static void
test_keywords(void **state)
{
	struct folder	 f;

	(void)state;
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(keywords_index(&f, "$Junk", 0), -1);
	assert_int_equal(keywords_index(&f, "$Junk", 1), 0);
	assert_int_equal(keywords_index(&f, "work", 1), 1);
	assert_int_equal(keywords_index(&f, "$JUNK", 1), 0);
	assert_int_equal(keywords_index(&f, "\\Seen", 1), -1);
	assert_int_equal(keywords_index(&f, "a b", 1), -1);
	assert_false(keyword_valid("", 0));
	folder_close(&f);
	/* Names kept in the file, in their order. */
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(f.nkw, 2);
	assert_string_equal(f.kw[0], "$Junk");
	assert_string_equal(f.kw[1], "work");
	folder_close(&f);
}

static void
test_cache(void **state)
{
	struct folder		 f;
	struct mcache_rec	 r, got;

	(void)state;
	put("cur", "1600000001.M1P1.h:2,", "Subject: cached\n\nbody\n");
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(mcache_get(&f, 0, &got), 0);
	memset(&r, 0, sizeof(r));
	r.have = MCF_WIRE | MCF_ENV;
	r.wire = 25;
	r.env = "(NIL \"cached\")";
	r.envlen = strlen(r.env);
	assert_int_equal(mcache_put(&f, 0, &r), 0);
	memset(&r, 0, sizeof(r));
	r.have = MCF_DATE;
	r.date = 1234;
	assert_int_equal(mcache_put(&f, 0, &r), 0);	/* merged */
	assert_int_equal(mcache_flush(&f), 0);
	assert_int_equal(mcache_get(&f, 0, &got), 1);
	assert_int_equal(got.have, MCF_WIRE | MCF_ENV | MCF_DATE);
	/* A flag change renames the file: the record is the unique name's. */
	assert_int_equal(folder_msg_set_flags(&f, 0, MSG_SEEN, 0), 0);
	folder_close(&f);
	assert_int_equal(folder_open(&f, "INBOX", root, 0), 0);
	assert_int_equal(mcache_get(&f, 0, &got), 1);
	assert_int_equal(got.wire, 25);
	assert_int_equal(got.date, 1234);
	assert_int_equal(got.envlen, strlen("(NIL \"cached\")"));
	assert_memory_equal(got.env, "(NIL \"cached\")", got.envlen);
	folder_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_names),
		cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uidlist_damage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_keywords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
