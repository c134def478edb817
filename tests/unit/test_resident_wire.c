/*
 * Unit tests for the frames the resident smtpd and the master take from
 * each other and from the resident's other peers: smtpd/resident_wire.c
 * (the master's [C, seq, over], smtpsession's [R], [P, pid] and [F], a
 * queue writer's [DONE, code], the AUTH child's verdict) and
 * master/facteur_report.c (a resident's [S, seq, pid] and [E, seq]).
 * Each frame of its form is taken with its values; wrong names, field
 * counts and descriptor counts, numbers with a sign, a space, a leading
 * zero or out of range, and user names that are empty, too long or hold
 * a control byte, are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/types.h>

#include "chan.h"
#include "facteur.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "users.h"

static struct chan_msg	 msg;

/* msg holds these fields and nfds descriptors (numbers only). */
static const struct chan_msg *
frame(int nfds, const char *const *f, int nf)
{
	int	 i;

	memset(&msg, 0, sizeof(msg));
	for (i = 0; i < nf; i++)
		msg.f[i] = (char *)f[i];
	msg.nf = nf;
	msg.nfds = nfds;
	for (i = 0; i < nfds; i++)
		msg.fds[i] = 100 + i;
	return &msg;
}

#define F(nfds, ...) \
	frame((nfds), (const char *const[]){ __VA_ARGS__ }, \
	    (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / \
	    sizeof(const char *)))

static void
test_master(void **state)
{
	long long	 seq = 0;
	int		 over = -1;

	(void)state;
	assert_int_equal(resident_wire_master(F(1, "C", "1", "0"), &seq,
	    &over), 0);
	assert_true(seq == 1 && over == 0);
	assert_int_equal(resident_wire_master(F(1, "C",
	    "9223372036854775807", "1"), &seq, &over), 0);
	assert_true(seq == 9223372036854775807LL && over == 1);
	assert_int_equal(resident_wire_master(F(0, "C", "1", "0"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(2, "C", "1", "0"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(1, "C", "0", "0"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(1, "C", "+1", "0"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(1, "C", "1", "2"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(1, "C", "1", "00"), &seq,
	    &over), -1);
	assert_int_equal(resident_wire_master(F(1, "C", "1"), &seq, &over),
	    -1);
	assert_int_equal(resident_wire_master(F(1, "S", "1", "0"), &seq,
	    &over), -1);
}

static void
test_reports(void **state)
{
	long long	 seq = 0;
	pid_t		 pid = -1;
	char		 kind = 0;

	(void)state;
	assert_int_equal(resident_report_parse(F(0, "S", "7", "4242"), &kind,
	    &seq, &pid), 0);
	assert_true(kind == 'S' && seq == 7 && pid == 4242);
	assert_int_equal(resident_report_parse(F(0, "E", "7"), &kind, &seq,
	    &pid), 0);
	assert_true(kind == 'E' && seq == 7 && pid == 0);
	assert_int_equal(resident_report_parse(F(0, "S", "7", "1"), &kind,
	    &seq, &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "S", "7", "2147483648"),
	    &kind, &seq, &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "S", "7"), &kind, &seq,
	    &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "E", "7", "1"), &kind,
	    &seq, &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "E", " 7"), &kind, &seq,
	    &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "E", "0"), &kind, &seq,
	    &pid), -1);
	assert_int_equal(resident_report_parse(F(1, "E", "7"), &kind, &seq,
	    &pid), -1);
	assert_int_equal(resident_report_parse(F(0, "SE", "7"), &kind, &seq,
	    &pid), -1);
}

static void
test_smtpsession(void **state)
{
	pid_t	 pid = -1;

	(void)state;
	assert_int_equal(resident_wire_ready(F(0, "R")), 0);
	assert_int_equal(resident_wire_ready(F(1, "R")), -1);
	assert_int_equal(resident_wire_ready(F(0, "R", "")), -1);
	assert_int_equal(resident_wire_ready(F(0, "P", "1")), -1);
	assert_int_equal(resident_wire_spawned(F(1, "P", "4242"), &pid), 1);
	assert_int_equal(pid, 4242);
	assert_int_equal(resident_wire_spawned(F(0, "F"), &pid), 0);
	assert_int_equal(resident_wire_spawned(F(1, "F"), &pid), -1);
	assert_int_equal(resident_wire_spawned(F(0, "P", "4242"), &pid), -1);
	assert_int_equal(resident_wire_spawned(F(2, "P", "4242"), &pid), -1);
	assert_int_equal(resident_wire_spawned(F(1, "P", "0"), &pid), -1);
	assert_int_equal(resident_wire_spawned(F(1, "P", "2147483648"), &pid),
	    -1);
	assert_int_equal(resident_wire_spawned(F(1, "P", "-5"), &pid), -1);
	assert_int_equal(resident_wire_spawned(F(0, "R"), &pid), -1);
}

static void
test_writer(void **state)
{
	int	 code = -1;

	(void)state;
	assert_int_equal(resident_wire_done(F(0, "DONE", "0"), &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(resident_wire_done(F(0, "DONE", "255"), &code), 0);
	assert_int_equal(code, 255);
	assert_int_equal(resident_wire_done(F(0, "DONE", "256"), &code), -1);
	assert_int_equal(resident_wire_done(F(0, "DONE", "-1"), &code), -1);
	assert_int_equal(resident_wire_done(F(0, "DONE", "011"), &code), -1);
	assert_int_equal(resident_wire_done(F(0, "DONE", ""), &code), -1);
	assert_int_equal(resident_wire_done(F(1, "DONE", "0"), &code), -1);
	assert_int_equal(resident_wire_done(F(0, "DONE"), &code), -1);
	assert_int_equal(resident_wire_done(F(0, "done", "0"), &code), -1);
	assert_int_equal(code, 255);
}

static void
test_verdict(void **state)
{
	char	 user[USER_NAME_MAX + 1], longname[USER_NAME_MAX + 2];

	(void)state;
	assert_int_equal(resident_wire_verdict(1, F(0, "O", "alice"), user),
	    VERDICT_OK);
	assert_string_equal(user, "alice");
	assert_int_equal(resident_wire_verdict(1, F(0, "B"), user),
	    VERDICT_BAD);
	assert_int_equal(resident_wire_verdict(1, F(0, "T"), user),
	    VERDICT_TEMP);
	assert_int_equal(resident_wire_verdict(1, F(0, "O", ""), user),
	    VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(1, F(0, "O", "al\x1bice"),
	    user), VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(1, F(0, "O"), user),
	    VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(1, F(1, "O", "alice"), user),
	    VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(1, F(0, "B", "x"), user),
	    VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(1, F(0, "OK"), user),
	    VERDICT_NONE);
	memset(longname, 'u', USER_NAME_MAX);
	longname[USER_NAME_MAX] = '\0';
	assert_int_equal(resident_wire_verdict(1, F(0, "O", longname), user),
	    VERDICT_OK);
	longname[USER_NAME_MAX] = 'u';
	longname[USER_NAME_MAX + 1] = '\0';
	assert_int_equal(resident_wire_verdict(1, F(0, "O", longname), user),
	    VERDICT_NONE);
	/* a refused frame, end of file: no verdict */
	assert_int_equal(resident_wire_verdict(-1, F(0, "B"), user),
	    VERDICT_NONE);
	assert_int_equal(resident_wire_verdict(0, F(0, "B"), user),
	    VERDICT_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_smtpsession),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
