/*
 * remote_job: request, result and end packets between queued, rspawn
 * and the SMTP client processes; see remote_job.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "queue_env.h"
#include "queueid.h"
#include "remote_job.h"
#include "smtp_nexthop.h"

#define RESULT_FIELDS	7
#define END_FIELDS	7

/* 1 if s is at most max octets without a control byte (empty allowed). */
static int
text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A decimal without sign or leading zero, at most max. */
static int
num_parse(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	v = 0;
	size_t		i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 10)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Appends a field (with a NUL before it unless it is the first). */
static int
put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t	n = strlen(s), need = n + (*len > 0);

	if (cap > RJOB_PACKET_MAX)
		cap = RJOB_PACKET_MAX;
	if (need > cap - *len) {
		errno = EMSGSIZE;
		return -1;
	}
	if (*len > 0)
		buf[(*len)++] = '\0';
	memcpy(buf + *len, s, n);
	*len += n;
	return 0;
}

static int
addr_ok(const char *s, int empty_ok)
{
	return (empty_ok || s[0] != '\0') && text_ok(s, QUEUE_ADDR_MAX);
}

int
rjob_begin(char *buf, size_t cap, size_t *len, unsigned slot, const char *id,
    const char *sender, const char *nexthop)
{
	struct smtp_nexthop	 nh;
	const char		*why;
	char			 s[16];

	if (slot >= RJOB_SLOT_MAX || !queueid_valid(id) ||
	    !addr_ok(sender, 1) ||
	    smtp_nexthop_parse(nexthop, &nh, &why) == -1) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(s, sizeof(s), "%u", slot);
	*len = 0;
	if (put(buf, cap, len, "J") == -1 || put(buf, cap, len, s) == -1 ||
	    put(buf, cap, len, id) == -1 || put(buf, cap, len, sender) == -1 ||
	    put(buf, cap, len, nexthop) == -1)
		return -1;
	return 0;
}

int
rjob_add_rcpt(char *buf, size_t cap, size_t *len, const char *rcpt)
{
	size_t	 n = 0, i;

	if (!addr_ok(rcpt, 0)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < *len; i++)
		n += buf[i] == '\0';
	/* five fixed fields: four NULs; then one per recipient */
	if (n < 4 || n - 4 >= RJOB_RCPT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return put(buf, cap, len, rcpt);
}

/* Splits buf[0..len) into at most max fields; the count, or -1. */
static int
split(char *buf, size_t len, char **f, int max)
{
	size_t	 i;
	int	 n = 0;

	if (len == 0 || len > RJOB_PACKET_MAX || buf[len] != '\0')
		return -1;
	f[n++] = buf;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\0')
			continue;
		if (n >= max)
			return -1;
		f[n++] = buf + i + 1;
	}
	return n;
}

static int
slot_parse(const char *s, unsigned *slot)
{
	unsigned long	v;

	if (num_parse(s, RJOB_SLOT_MAX - 1, &v) == -1)
		return -1;
	*slot = (unsigned)v;
	return 0;
}

int
rjob_decode(char *buf, size_t len, struct rjob *j)
{
	static char		*f[RJOB_RCPT_MAX + 5];
	struct smtp_nexthop	 nh;
	const char		*why;
	int			 n, i;

	memset(j, 0, sizeof(*j));
	if ((n = split(buf, len, f, RJOB_RCPT_MAX + 5)) < 6 ||
	    strcmp(f[0], "J") != 0 || slot_parse(f[1], &j->slot) == -1 ||
	    !queueid_valid(f[2]) || !addr_ok(f[3], 1) ||
	    smtp_nexthop_parse(f[4], &nh, &why) == -1)
		goto bad;
	j->id = f[2];
	j->sender = f[3];
	j->nexthop = f[4];
	for (i = 5; i < n; i++) {
		if (!addr_ok(f[i], 0))
			goto bad;
		j->rcpt[j->nrcpt++] = f[i];
	}
	return 0;
bad:
	memset(j, 0, sizeof(*j));
	errno = EBADMSG;
	return -1;
}

int
rjob_dsn_ok(const char *s, char status)
{
	size_t	 i = 2, k, part;
	char	 klass = status == 'K' ? '2' : status == 'Z' ? '4' :
		    status == 'D' ? '5' : 0;

	if (klass == 0 || s[0] != klass || s[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 3 && s[i] >= '0' && s[i] <= '9'; k++)
			i++;
		if (k == 0)
			return 0;
		if (part == 0 && s[i++] != '.')
			return 0;
	}
	return s[i] == '\0';
}

static int
status_ok(char c)
{
	return c == 'K' || c == 'Z' || c == 'D';
}

int
rjob_result_encode(const struct rjob_result *r, char *buf, size_t cap,
    size_t *len)
{
	char	 slot[16], idx[16], st[2] = { r->status, '\0' };

	if (r->slot >= RJOB_SLOT_MAX || r->index >= RJOB_RCPT_MAX ||
	    !status_ok(r->status) || !rjob_dsn_ok(r->dsn, r->status) ||
	    r->relay[0] == '\0' || !text_ok(r->relay, RJOB_RELAY_MAX) ||
	    r->text[0] == '\0' || !text_ok(r->text, RJOB_TEXT_MAX)) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(slot, sizeof(slot), "%u", r->slot);
	(void)snprintf(idx, sizeof(idx), "%zu", r->index);
	*len = 0;
	if (put(buf, cap, len, "R") == -1 || put(buf, cap, len, slot) == -1 ||
	    put(buf, cap, len, idx) == -1 || put(buf, cap, len, st) == -1 ||
	    put(buf, cap, len, r->dsn) == -1 ||
	    put(buf, cap, len, r->relay) == -1 ||
	    put(buf, cap, len, r->text) == -1)
		return -1;
	return 0;
}

int
rjob_end_encode(const struct rjob_end *e, char *buf, size_t cap,
    size_t *len)
{
	char	 f[5][16];

	if (e->slot >= RJOB_SLOT_MAX || (e->site != 0 && e->site != 1)) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(f[0], sizeof(f[0]), "%u", e->slot);
	(void)snprintf(f[1], sizeof(f[1]), "%lu", e->wait_ms > RJOB_MS_MAX ?
	    RJOB_MS_MAX : e->wait_ms);
	(void)snprintf(f[2], sizeof(f[2]), "%lu", e->conn_ms > RJOB_MS_MAX ?
	    RJOB_MS_MAX : e->conn_ms);
	(void)snprintf(f[3], sizeof(f[3]), "%lu", e->xfer_ms > RJOB_MS_MAX ?
	    RJOB_MS_MAX : e->xfer_ms);
	(void)snprintf(f[4], sizeof(f[4]), "%lu", e->conn_use > RJOB_MS_MAX ?
	    RJOB_MS_MAX : e->conn_use);
	*len = 0;
	if (put(buf, cap, len, "E") == -1 || put(buf, cap, len, f[0]) == -1 ||
	    put(buf, cap, len, e->site ? "1" : "0") == -1 ||
	    put(buf, cap, len, f[1]) == -1 || put(buf, cap, len, f[2]) == -1 ||
	    put(buf, cap, len, f[3]) == -1 || put(buf, cap, len, f[4]) == -1)
		return -1;
	return 0;
}

int
rjob_reply_decode(char *buf, size_t len, int *kind, struct rjob_result *r,
    struct rjob_end *e)
{
	char		*f[RESULT_FIELDS + 1];
	unsigned long	 v;
	int		 n;

	n = split(buf, len, f, RESULT_FIELDS + 1);
	if (n == RESULT_FIELDS && strcmp(f[0], "R") == 0) {
		memset(r, 0, sizeof(*r));
		if (slot_parse(f[1], &r->slot) == -1 ||
		    num_parse(f[2], RJOB_RCPT_MAX - 1, &v) == -1 ||
		    strlen(f[3]) != 1 || !status_ok(f[3][0]) ||
		    !rjob_dsn_ok(f[4], f[3][0]) || f[5][0] == '\0' ||
		    !text_ok(f[5], RJOB_RELAY_MAX) || f[6][0] == '\0' ||
		    !text_ok(f[6], RJOB_TEXT_MAX))
			goto bad;
		r->index = v;
		r->status = f[3][0];
		r->dsn = f[4];
		r->relay = f[5];
		r->text = f[6];
		*kind = 'R';
		return 0;
	}
	if (n == END_FIELDS && strcmp(f[0], "E") == 0) {
		memset(e, 0, sizeof(*e));
		if (slot_parse(f[1], &e->slot) == -1 ||
		    (strcmp(f[2], "0") != 0 && strcmp(f[2], "1") != 0) ||
		    num_parse(f[3], RJOB_MS_MAX, &e->wait_ms) == -1 ||
		    num_parse(f[4], RJOB_MS_MAX, &e->conn_ms) == -1 ||
		    num_parse(f[5], RJOB_MS_MAX, &e->xfer_ms) == -1 ||
		    num_parse(f[6], RJOB_MS_MAX, &e->conn_use) == -1)
			goto bad;
		e->site = f[2][0] == '1';
		*kind = 'E';
		return 0;
	}
bad:
	errno = EBADMSG;
	return -1;
}
