/*
 * test_queue_ctl: the control socket's requests (lib/queue/queue_ctl.c:
 * every verb with the targets it takes, IDs and domains checked, domains
 * in lower case, the fields written back) and the client's reading of
 * answers (lib/queue/queue_list.c: M and R frames checked field by field,
 * control bytes refused; JSON strings escaped, invalid UTF-8 as U+FFFD;
 * terminal text with '?' for control bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "queue_ctl.h"
#include "queue_list.h"

#define ID	"0123456789ABCD"

static int
req(const char *a, const char *b, const char *c, struct qctl_req *r)
{
	char	 x[64], y[64], z[512];
	char	*f[3] = { x, y, z };

	(void)strlcpy(x, a, sizeof(x));
	(void)strlcpy(y, b, sizeof(y));
	(void)strlcpy(z, c, sizeof(z));
	return qctl_req_parse(f, 3, r);
}

static void
test_requests(void **state)
{
	struct qctl_req	 r;
	const char	*f[3];
	char		 big[300];

	(void)state;
	assert_int_equal(req("LIST", "ALL", "", &r), 0);
	assert_int_equal(r.verb, QCTL_LIST);
	assert_int_equal(req("SHOW", "ID", ID, &r), 0);
	assert_string_equal(r.id, ID);
	assert_int_equal(req("FLUSH", "DOMAIN", "Mail.Example.ORG", &r), 0);
	assert_string_equal(r.domain, "mail.example.org");
	qctl_req_fields(&r, f);
	assert_string_equal(f[0], "FLUSH");
	assert_string_equal(f[1], "DOMAIN");
	assert_string_equal(f[2], "mail.example.org");
	assert_int_equal(req("FLUSH", "DOMAIN", "[192.0.2.1]", &r), 0);
	assert_int_equal(req("DELETE", "ALL", "", &r), 0);
	assert_int_equal(req("REQUEUE", "ID", ID, &r), 0);
	assert_true(qctl_verb_admin(QCTL_HOLD) && qctl_verb_admin(QCTL_RELEASE)
	    && qctl_verb_admin(QCTL_REQUEUE));
	assert_false(qctl_verb_admin(QCTL_DELETE) || qctl_verb_admin(QCTL_LIST)
	    || qctl_verb_admin(QCTL_FLUSH) || qctl_verb_admin(QCTL_SHOW));
	/* refused */
	assert_int_equal(req("LIST", "ID", ID, &r), -1);
	assert_int_equal(req("LIST", "ALL", "x", &r), -1);
	assert_int_equal(req("SHOW", "ALL", "", &r), -1);
	assert_int_equal(req("SHOW", "ID", "0123456789ABCU", &r), -1);
	assert_int_equal(req("SHOW", "ID", "../../etc", &r), -1);
	assert_int_equal(req("HOLD", "DOMAIN", "a.b", &r), -1);
	assert_int_equal(req("FLUSH", "DOMAIN", "", &r), -1);
	assert_int_equal(req("FLUSH", "DOMAIN", "a b", &r), -1);
	assert_int_equal(req("FLUSH", "DOMAIN", "a/b", &r), -1);
	memset(big, 'a', 256);
	big[256] = '\0';
	assert_int_equal(req("FLUSH", "DOMAIN", big, &r), -1);
	assert_int_equal(req("list", "ALL", "", &r), -1);
	assert_int_equal(req("NUKE", "ALL", "", &r), -1);
	assert_int_equal(qctl_req_parse(NULL, 0, &r), -1);
}

static void
frame(struct chan_msg *m, const char *const *f, int nf)
{
	int	 i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < nf; i++)
		m->f[i] = (char *)f[i];
	m->nf = nf;
}

static void
test_answers(void **state)
{
	static struct chan_msg m;
	struct qlist_msg lm;
	struct qlist_job lj;
	const char	*good[8] = { "M", ID, "deferred", "1796600000", "1234",
	    "alice@example.org", "1000", "local" };
	const char	*job[7] = { "R", "bob@x", "team@x", "P", "2",
	    "1796600300", "4.2.2 mailbox full" };
	const char	*bad[8];

	(void)state;
	frame(&m, good, 8);
	assert_int_equal(qlist_msg_parse(&m, &lm), 0);
	assert_string_equal(lm.id, ID);
	assert_true(lm.size == 1234 && lm.uid == 1000);
	frame(&m, job, 7);
	assert_int_equal(qlist_job_parse(&m, &lj), 0);
	assert_int_equal(lj.status, 'P');
	assert_int_equal(lj.attempts, 2);
	/* every field checked */
	memcpy(bad, good, sizeof(bad));
	bad[1] = "nope";
	frame(&m, bad, 8);
	assert_int_equal(qlist_msg_parse(&m, &lm), -1);
	memcpy(bad, good, sizeof(bad));
	bad[2] = "frozen";
	frame(&m, bad, 8);
	assert_int_equal(qlist_msg_parse(&m, &lm), -1);
	memcpy(bad, good, sizeof(bad));
	bad[4] = "-1";
	frame(&m, bad, 8);
	assert_int_equal(qlist_msg_parse(&m, &lm), -1);
	memcpy(bad, good, sizeof(bad));
	bad[5] = "evil\x1b[2J@x";
	frame(&m, bad, 8);
	assert_int_equal(qlist_msg_parse(&m, &lm), -1);
	frame(&m, good, 7);
	assert_int_equal(qlist_msg_parse(&m, &lm), -1);
	memcpy(bad, job, sizeof(job));
	bad[3] = "Q";
	frame(&m, bad, 7);
	assert_int_equal(qlist_job_parse(&m, &lj), -1);
	memcpy(bad, job, sizeof(job));
	bad[6] = "reason\nforged line";
	frame(&m, bad, 7);
	assert_int_equal(qlist_job_parse(&m, &lj), -1);
}

static void
test_text(void **state)
{
	struct buf	 b;
	char		 out[32];

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(qlist_json_string(&b, "a\"b\\c\n\x01" "caf\xc3\xa9"
	    " \xff\xc3"), 0);
	assert_string_equal(b.data,
	    "\"a\\\"b\\\\c\\u000a\\u0001caf\xc3\xa9 \\ufffd\\ufffd\"");
	buf_reset(&b);
	/* overlong and surrogate forms are not UTF-8 */
	assert_int_equal(qlist_json_string(&b, "\xc0\xaf\xed\xa0\x80"), 0);
	assert_string_equal(b.data, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	buf_free(&b);
	qlist_safe("a\x1b[31mb\tc", out, sizeof(out));
	assert_string_equal(out, "a?[31mb?c");
	/* mailq's reasons, as Postfix's: without the status code */
	assert_string_equal(qlist_reason_text("4.2.2 mailbox full"),
	    "mailbox full");
	assert_string_equal(qlist_reason_text("4.4.1 host x[192.0.2.1] said: "
	    "451 4.3.0 later (in reply to MAIL FROM command)"),
	    "host x[192.0.2.1] said: 451 4.3.0 later (in reply to MAIL FROM "
	    "command)");
	assert_string_equal(qlist_reason_text("5.123.999 x"), "x");
	assert_string_equal(qlist_reason_text("no code here"), "no code here");
	assert_string_equal(qlist_reason_text("4.2.2"), "4.2.2");
	assert_string_equal(qlist_reason_text("4.2.2 "), "4.2.2 ");
	assert_string_equal(qlist_reason_text("3.2.2 x"), "3.2.2 x");
	assert_string_equal(qlist_reason_text("4.2222.2 x"), "4.2222.2 x");
	assert_string_equal(qlist_reason_text("4..2 x"), "4..2 x");
	assert_string_equal(qlist_reason_text(""), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
