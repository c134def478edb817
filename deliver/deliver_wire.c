/*
 * deliver_wire: the fields of the job and result frames between lspawn
 * and its delivery workers; see deliver_wire.h.  The framing itself is
 * lib/ipc/chan.c's.  Nothing from a worker is trusted: a result's fields
 * are checked here before lspawn passes them on.
 */
#include <errno.h>
#include <string.h>

#include "deliver_wire.h"

/* 1 if s is 1 to max octets of printable text (no control byte). */
static int
wire_text_ok(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return i > 0;
}

int
deliver_job_fields(const struct delivery *d, const char *f[DELIVER_JOB_FIELDS])
{
	if (d->id == NULL || d->sender == NULL || d->rcpt == NULL ||
	    d->maildir == NULL || d->id[0] == '\0' || d->rcpt[0] == '\0' ||
	    d->maildir[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	f[0] = "J";
	f[1] = d->id;
	f[2] = d->sender;
	f[3] = d->rcpt;
	f[4] = d->maildir;
	f[5] = d->check ? "1" : "0";
	return 0;
}

int
deliver_job_decode(char *const *f, int nf, struct delivery *d)
{
	if (nf != DELIVER_JOB_FIELDS || strcmp(f[0], "J") != 0 ||
	    f[1][0] == '\0' || f[3][0] == '\0' || f[4][0] == '\0' ||
	    (strcmp(f[5], "0") != 0 && strcmp(f[5], "1") != 0)) {
		errno = EBADMSG;
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->id = f[1];
	d->sender = f[2];
	d->rcpt = f[3];
	d->maildir = f[4];
	d->check = f[5][0] == '1';
	return 0;
}

int
deliver_result_fields(char status, const char *text, char st[2],
    const char *f[DELIVER_RESULT_FIELDS])
{
	if ((status != 'K' && status != 'Z' && status != 'D') ||
	    !wire_text_ok(text, DELIVER_TEXT_MAX)) {
		errno = EINVAL;
		return -1;
	}
	st[0] = status;
	st[1] = '\0';
	f[0] = "R";
	f[1] = st;
	f[2] = text;
	return 0;
}

int
deliver_result_decode(char *const *f, int nf, char *status,
    const char **text)
{
	if (nf != DELIVER_RESULT_FIELDS || strcmp(f[0], "R") != 0 ||
	    strlen(f[1]) != 1 ||
	    (f[1][0] != 'K' && f[1][0] != 'Z' && f[1][0] != 'D') ||
	    !wire_text_ok(f[2], DELIVER_TEXT_MAX)) {
		errno = EBADMSG;
		return -1;
	}
	*status = f[1][0];
	*text = f[2];
	return 0;
}

enum deliver_wire_verdict
deliver_result_take(int r, int errno_r, char *const *f, int nf, int nfds,
    int busy, char *status, const char **text)
{
	if (r == 0 || (r == -1 && errno_r != EBADMSG))
		return WIRE_END;
	if (r != 1 || !busy || nfds != 0 ||
	    deliver_result_decode(f, nf, status, text) == -1)
		return WIRE_KILL;
	return WIRE_RESULT;
}

char
deliver_status(int code)
{
	switch (code) {
	case DELIVER_OK:
		return 'K';
	case DELIVER_PERM:
		return 'D';
	default:
		return 'Z';
	}
}
