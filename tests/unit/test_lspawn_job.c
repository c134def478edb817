/*
 * Unit tests for how lspawn takes a job from queued (deliver/lspawn_job.c,
 * job_take and job_check): a job of seven fields with a free slot waits,
 * with its own copy of the frame; a frame of another form, a slot that is
 * not 1 to 6 digits without leading zero, or held by a waiting job, means
 * queued is broken; past LSPAWN_WAIT_MAX waiting jobs a job is handed
 * back to be answered; a job's values with a bad queue ID, an empty
 * recipient, control bytes or over 1000 octets get a D result before any
 * user is looked up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "chan.h"
#include "lspawn.h"
#include "netstring.h"

#define QID	"0RJ4V1K3A5B7C9"

static struct lspawn	 ls;
static struct chan_msg	 msg;

/* msg as chan_recv would fill it for these fields. */
static void
frame(const char *const *f, int nf)
{
	struct buf	 b;

	buf_init(&b, CHAN_WIRE_MAX);
	assert_int_equal(frame_encode(&b, f, nf), 0);
	memset(&msg, 0, sizeof(msg));
	memcpy(msg.data, b.data, b.len);
	msg.len = b.len;
	msg.nf = chan_parse(msg.data, msg.len, LSPAWN_FRAME_MAX, msg.f,
	    CHAN_FIELDS_MAX);
	buf_free(&b);
}

#define FRAME(...) \
	frame((const char *const[]){ __VA_ARGS__ }, \
	    (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / \
	    sizeof(const char *)))

static int
take(struct job **j)
{
	const char	*why = NULL;
	int		 r;

	r = job_take(&ls, &msg, j, &why);
	if (r == -1) {
		assert_non_null(why);
		assert_null(*j);
	}
	return r;
}

static void
reset(void)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&ls.waiting)) != NULL) {
		TAILQ_REMOVE(&ls.waiting, j, entry);
		job_free(j);
	}
	ls.nwaiting = 0;
}

static int
setup(void **state)
{
	(void)state;
	memset(&ls, 0, sizeof(ls));
	TAILQ_INIT(&ls.waiting);
	TAILQ_INIT(&ls.idle);
	TAILQ_INIT(&ls.busy);
	TAILQ_INIT(&ls.gone);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	reset();
	return 0;
}

static void
test_take(void **state)
{
	struct job	*j = NULL;

	(void)state;
	FRAME("J", "0", QID, "bob@example.net", "alice@example.org",
	    "alice", "", "1");
	assert_int_equal(take(&j), 0);
	assert_ptr_equal(TAILQ_FIRST(&ls.waiting), j);
	/* its own copy: the receive buffer is reused for the next frame */
	memset(msg.data, 'x', msg.len);
	assert_string_equal(j->slot, "0");
	assert_string_equal(j->id, QID);
	assert_string_equal(j->sender, "bob@example.net");
	assert_string_equal(j->rcpt, "alice@example.org");
	assert_string_equal(j->user, "alice");
	assert_string_equal(j->ext, "");
	assert_int_equal(j->check, 1);
	/* slot 0 is held now; 999999 is the largest */
	FRAME("J", "0", QID, "", "a@b", "a", "", "0");
	assert_int_equal(take(&j), -1);
	FRAME("J", "999999", QID, "", "a@b", "a", "", "0");
	assert_int_equal(take(&j), 0);
	assert_int_equal(j->check, 0);
	assert_int_equal((int)ls.nwaiting, 2);
	reset();
}

static void
test_take_refuses(void **state)
{
	static const char *const slots[] = { "", "00", "01", "1000000",
	    "+1", "-1", " 1", "1a" };
	struct job	*j = NULL;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		FRAME("J", slots[i], QID, "", "a@b", "a", "", "0");
		assert_int_equal(take(&j), -1);
	}
	/* seven fields: a job without its check (docs/queue.md, D0) */
	FRAME("J", "1", QID, "", "a@b", "a", "");
	assert_int_equal(take(&j), -1);
	FRAME("J", "1", QID, "", "a@b", "a", "", "0", "x");
	assert_int_equal(take(&j), -1);
	/* the check is 0 or 1, nothing else */
	FRAME("J", "1", QID, "", "a@b", "a", "", "x");
	assert_int_equal(take(&j), -1);
	FRAME("J", "1", QID, "", "a@b", "a", "", "");
	assert_int_equal(take(&j), -1);
	FRAME("J", "1", QID, "", "a@b", "a", "", "10");
	assert_int_equal(take(&j), -1);
	FRAME("R", "1", QID, "", "a@b", "a", "", "0");
	assert_int_equal(take(&j), -1);
	assert_int_equal((int)ls.nwaiting, 0);
}

static void
test_take_too_many(void **state)
{
	struct job	*j = NULL;

	(void)state;
	ls.nwaiting = LSPAWN_WAIT_MAX;
	FRAME("J", "5", QID, "", "a@b", "a", "", "0");
	assert_int_equal(take(&j), 1);
	assert_non_null(j);
	assert_null(TAILQ_FIRST(&ls.waiting));
	job_free(j);
	ls.nwaiting = 0;
}

static void
test_check(void **state)
{
	struct job_result	 res;
	struct job		 j;
	char			 longer[1002];

	(void)state;
	memset(&j, 0, sizeof(j));
	j.id = (char *)QID;
	j.sender = (char *)"";
	j.rcpt = (char *)"alice@example.org";
	j.user = (char *)"alice";
	j.ext = (char *)"";
	assert_int_equal(job_check(&j, &res), 0);
	j.id = (char *)"../../shadow";
	assert_int_equal(job_check(&j, &res), -1);
	assert_int_equal(res.status, 'D');
	j.id = (char *)QID;
	j.rcpt = (char *)"";
	assert_int_equal(job_check(&j, &res), -1);
	j.rcpt = (char *)"alice@example.org";
	j.sender = (char *)"bob\r\n@example.net";
	assert_int_equal(job_check(&j, &res), -1);
	j.sender = (char *)"";
	j.user = (char *)"al\x7fice";
	assert_int_equal(job_check(&j, &res), -1);
	j.user = (char *)"alice";
	j.ext = (char *)"\t";
	assert_int_equal(job_check(&j, &res), -1);
	j.ext = (char *)"";
	memset(longer, 'a', 1001);
	longer[1001] = '\0';
	j.rcpt = longer;
	assert_int_equal(job_check(&j, &res), -1);
	assert_int_equal(res.status, 'D');
	longer[1000] = '\0';
	assert_int_equal(job_check(&j, &res), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_refuses),
		cmocka_unit_test(test_take_too_many),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
