/*
 * deliver_wire: job and result packets between lspawn and its delivery
 * workers; see deliver_wire.h.  The fields are NUL-separated with no
 * trailing NUL, so a packet of n fields holds exactly n - 1 NULs.
 */
#include <errno.h>
#include <string.h>

#include "deliver_wire.h"

#define JOB_FIELDS	5
#define RESULT_FIELDS	3

/* Appends the fields, NUL-separated, to buf; 0 or -1 (EMSGSIZE). */
static int
wire_encode(const char *const *f, int nf, char *buf, size_t cap,
    size_t *len)
{
	size_t	 n, need, off = 0;
	int	 i;

	if (cap > DELIVER_WIRE_MAX)
		cap = DELIVER_WIRE_MAX;
	for (i = 0; i < nf; i++) {
		n = strlen(f[i]);
		need = n + (i > 0 ? 1 : 0);
		if (need > cap - off)
			goto toolong;
		if (i > 0)
			buf[off++] = '\0';
		memcpy(buf + off, f[i], n);
		off += n;
	}
	if (off == 0)
		goto toolong;
	*len = off;
	return 0;
toolong:
	errno = EMSGSIZE;
	return -1;
}

/*
 * Splits buf[0..len) (buf[len] is NUL) into exactly nf fields, in place.
 * 0, or -1 with EBADMSG when there are more or fewer.
 */
static int
wire_split(char *buf, size_t len, char **f, int nf)
{
	size_t	 i;
	int	 n = 0;

	if (len == 0 || len > DELIVER_WIRE_MAX || buf[len] != '\0')
		goto bad;
	f[n++] = buf;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\0')
			continue;
		if (n >= nf)
			goto bad;
		f[n++] = buf + i + 1;
	}
	if (n != nf)
		goto bad;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

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
deliver_job_encode(const struct delivery *d, char *buf, size_t cap,
    size_t *len)
{
	const char	*f[JOB_FIELDS];

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
	return wire_encode(f, JOB_FIELDS, buf, cap, len);
}

int
deliver_job_decode(char *buf, size_t len, struct delivery *d)
{
	char	*f[JOB_FIELDS];

	if (wire_split(buf, len, f, JOB_FIELDS) == -1)
		return -1;
	if (strcmp(f[0], "J") != 0 || f[1][0] == '\0' || f[3][0] == '\0' ||
	    f[4][0] == '\0') {
		errno = EBADMSG;
		return -1;
	}
	d->id = f[1];
	d->sender = f[2];
	d->rcpt = f[3];
	d->maildir = f[4];
	return 0;
}

int
deliver_result_encode(char status, const char *text, char *buf, size_t cap,
    size_t *len)
{
	const char	*f[RESULT_FIELDS];
	char		 st[2] = { status, '\0' };

	if ((status != 'K' && status != 'Z' && status != 'D') ||
	    !wire_text_ok(text, DELIVER_TEXT_MAX)) {
		errno = EINVAL;
		return -1;
	}
	f[0] = "R";
	f[1] = st;
	f[2] = text;
	return wire_encode(f, RESULT_FIELDS, buf, cap, len);
}

int
deliver_result_decode(char *buf, size_t len, char *status,
    const char **text)
{
	char	*f[RESULT_FIELDS];

	if (wire_split(buf, len, f, RESULT_FIELDS) == -1)
		return -1;
	if (strcmp(f[0], "R") != 0 || strlen(f[1]) != 1 ||
	    (f[1][0] != 'K' && f[1][0] != 'Z' && f[1][0] != 'D') ||
	    !wire_text_ok(f[2], DELIVER_TEXT_MAX)) {
		errno = EBADMSG;
		return -1;
	}
	*status = f[1][0];
	*text = f[2];
	return 0;
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
