/*
 * test_queue_state: the state file of queued round-trips, and every
 * malformed file is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "queue_state.h"

#define ID	"0123456789ABCD"

static void
make_state(struct queue_state *st)
{
	struct queue_job *j;

	queue_state_init(st, ID);
	j = queue_state_add(st, "bob@example.org", "postmaster@example.org",
	    "bob", NULL);
	assert_non_null(j);
	j->status = QJ_DELIVERED;
	j->attempts = 1;
	j = queue_state_add(st, "far@remote.example", "far@remote.example",
	    NULL, NULL);
	assert_non_null(j);
	j->attempts = 3;
	j->next_try = 1700000000;
	assert_int_equal(queue_job_set_reason(j, "no remote\ntransport"), 0);
	assert_string_equal(j->reason, "no remote?transport");
	j = queue_state_add(st, "ann+box@example.org", "ann+box@example.org",
	    "ann", "box");
	assert_non_null(j);
	j->status = QJ_BOUNCE;
	assert_int_equal(queue_job_set_reason(j, "5.1.1 unknown user"), 0);
}

static void
test_roundtrip(void **arg)
{
	struct queue_state st, st2;
	struct buf	 b, b2;
	const char	*why;

	(void)arg;
	make_state(&st);
	buf_init(&b, QUEUE_STATE_MAX);
	assert_int_equal(queue_state_encode(&b, &st), 0);
	assert_int_equal(queue_state_decode(b.data, b.len, &st2, &why), 0);
	assert_string_equal(st2.id, ID);
	assert_int_equal(st2.njob, 3);
	assert_string_equal(st2.job[0].rcpt, "bob@example.org");
	assert_string_equal(st2.job[0].orig, "postmaster@example.org");
	assert_string_equal(st2.job[0].user, "bob");
	assert_string_equal(st2.job[0].ext, "");
	assert_int_equal(st2.job[0].status, QJ_DELIVERED);
	assert_int_equal(st2.job[0].attempts, 1);
	assert_string_equal(st2.job[1].user, "");
	assert_int_equal(st2.job[1].status, QJ_PENDING);
	assert_int_equal(st2.job[1].attempts, 3);
	assert_true(st2.job[1].next_try == 1700000000);
	assert_string_equal(st2.job[1].reason, "no remote?transport");
	assert_string_equal(st2.job[2].ext, "box");
	assert_int_equal(st2.job[2].status, QJ_BOUNCE);
	/* encoding again gives the same bytes */
	buf_init(&b2, QUEUE_STATE_MAX);
	assert_int_equal(queue_state_encode(&b2, &st2), 0);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	buf_free(&b);
	buf_free(&b2);
	queue_state_free(&st);
	queue_state_free(&st2);
}

static void
test_exact_bytes(void **arg)
{
	static const char want[] =
	    "V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E";
	struct queue_state st;
	struct buf	 b;

	(void)arg;
	queue_state_init(&st, ID);
	assert_non_null(queue_state_add(&st, "a@b", "c@d", "u", ""));
	st.job[0].next_try = 5;
	buf_init(&b, 4096);
	assert_int_equal(queue_state_encode(&b, &st), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	buf_free(&b);
	queue_state_free(&st);
}

static int
decodes(const char *p, size_t n)
{
	struct queue_state st;
	const char	*why = NULL;

	if (queue_state_decode(p, n, &st, &why) == -1) {
		assert_non_null(why);
		return 0;
	}
	queue_state_free(&st);
	return 1;
}

#define DEC(s)	decodes((s), sizeof(s))

static void
test_bad(void **arg)
{
	(void)arg;
	/* the good one, then mutations */
	assert_true(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(decodes("", 0));
	assert_false(DEC("V2\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0Ibad\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	/* no jobs */
	assert_false(DEC("V1\0I" ID "\0E"));
	/* missing end */
	assert_false(decodes("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M",
	    sizeof("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M")));
	/* missing last NUL */
	assert_false(decodes("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E",
	    sizeof("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E") - 1));
	/* records out of order */
	assert_false(DEC("V1\0I" ID "\0Oc@d\0Ra@b\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	/* bad status, bad numbers */
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SQ\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N-1\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N01\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0Wx\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W+5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N 1\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N99999999999\0W5\0M\0E"));
	/* control byte in a value */
	assert_false(DEC("V1\0I" ID "\0Ra\n@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0Mx\ry\0E"));
	/* empty recipient, trailing data */
	assert_false(DEC("V1\0I" ID "\0R\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E\0Z"));
	/* issue 14: held since, warned at, notice owed */
	assert_true(DEC("V1\0I" ID "\0H17\0Y18\0Ra@b\0Oc@d\0Lu\0X\0SS\0N1\0W5\0M\0"
	    "Rb@c\0Ob@c\0L\0X\0SR\0N1\0W0\0M250 ok\0E"));
	assert_true(DEC("V1\0I" ID "\0Y18\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Y18\0H17\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0H0\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0H\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0H01\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0E"));
	assert_false(DEC("V1\0I" ID "\0Ra@b\0Oc@d\0Lu\0X\0SP\0N0\0W5\0M\0H1\0E"));
}

/* The held time, the warning time and the notice statuses round-trip. */
static void
test_issue14_fields(void **arg)
{
	struct queue_state st, st2;
	struct buf	 b;
	const char	*why;

	(void)arg;
	make_state(&st);
	st.held = 1700000100;
	st.warned = 1700000200;
	st.job[0].status = QJ_NOTICE;
	st.job[1].status = QJ_RELAYED;
	buf_init(&b, QUEUE_STATE_MAX);
	assert_int_equal(queue_state_encode(&b, &st), 0);
	assert_int_equal(queue_state_decode(b.data, b.len, &st2, &why), 0);
	assert_true(st2.held == 1700000100);
	assert_true(st2.warned == 1700000200);
	assert_int_equal(st2.job[0].status, QJ_NOTICE);
	assert_int_equal(st2.job[1].status, QJ_RELAYED);
	/* an unknown status is not written */
	st.job[2].status = 'Q';
	buf_reset(&b);
	assert_int_equal(queue_state_encode(&b, &st), -1);
	buf_free(&b);
	queue_state_free(&st);
	queue_state_free(&st2);
}

static void
test_add_limits(void **arg)
{
	struct queue_state st;
	char		 big[2000];

	(void)arg;
	queue_state_init(&st, ID);
	assert_null(queue_state_add(&st, "a\r@b", "c@d", "u", ""));
	assert_int_equal(errno, EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(queue_state_add(&st, big, "c@d", "u", ""));
	assert_int_equal(errno, EINVAL);
	queue_state_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_exact_bytes),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_issue14_fields),
		cmocka_unit_test(test_add_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
