/*
 * resident_wire: the frames the resident smtpd takes from its peers other
 * than its sessions (whose requests are monitor_check.c's), each checked
 * here before the resident acts on it:
 *
 *   the master            [C, seq, over] + the client's connection
 *   smtpsession           [R] once started; then for each [C] request
 *                         [P, pid] + its pidfd, or [F] (could not fork)
 *   a queue writer        [DONE, code], code 0 to 255 (enqueue's)
 *   an AUTH child         [O, user], [B] or [T]
 *
 * Numbers are decimal as the senders write them (chan_field_num).  What
 * the resident does with a frame refused here is its caller's: a bad
 * frame from the master is fatal, smtpsession is no longer used, a writer
 * is killed and its message gets 451, an AUTH check counts as TEMP.  The
 * fuzz targets fuzz_resident_master and fuzz_resident_peers drive these
 * functions with frames those peers could send.
 *
 * Trust: nothing of the frame; it only reads it.
 */
#include <limits.h>
#include <string.h>

#include "chan.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "smtpd_resident.h"
#include "users.h"

int
resident_wire_master(const struct chan_msg *m, long long *seq, int *over)
{
	long long	 o;

	if (m->nf != 3 || m->nfds != 1 || strcmp(m->f[0], "C") != 0 ||
	    chan_field_num(m->f[1], 1, LLONG_MAX, seq) == -1 ||
	    chan_field_num(m->f[2], 0, 1, &o) == -1)
		return -1;
	*over = (int)o;
	return 0;
}

int
resident_wire_ready(const struct chan_msg *m)
{
	return m->nf == 1 && m->nfds == 0 && strcmp(m->f[0], "R") == 0 ?
	    0 : -1;
}

int
resident_wire_spawned(const struct chan_msg *m, pid_t *pid)
{
	long long	 p;

	if (m->nf == 1 && m->nfds == 0 && strcmp(m->f[0], "F") == 0)
		return 0;
	if (m->nf != 2 || m->nfds != 1 || strcmp(m->f[0], "P") != 0 ||
	    chan_field_num(m->f[1], 1, INT_MAX, &p) == -1)
		return -1;
	*pid = (pid_t)p;
	return 1;
}

int
resident_wire_done(const struct chan_msg *m, int *code)
{
	long long	 c;

	if (m->nf != 2 || m->nfds != 0 || strcmp(m->f[0], "DONE") != 0 ||
	    chan_field_num(m->f[1], 0, 255, &c) == -1)
		return -1;
	*code = (int)c;
	return 0;
}

enum resident_verdict
resident_wire_verdict(int r, const struct chan_msg *m,
    char user[USER_NAME_MAX + 1])
{
	if (r != 1 || m->nfds != 0)
		return VERDICT_NONE;
	if (m->nf == 2 && strcmp(m->f[0], "O") == 0 && m->f[1][0] != '\0' &&
	    monitor_field_ok(m->f[1], USER_NAME_MAX)) {
		(void)strlcpy(user, m->f[1], USER_NAME_MAX + 1);
		return VERDICT_OK;
	}
	if (m->nf == 1 && strcmp(m->f[0], "B") == 0)
		return VERDICT_BAD;
	if (m->nf == 1 && strcmp(m->f[0], "T") == 0)
		return VERDICT_TEMP;
	return VERDICT_NONE;
}
