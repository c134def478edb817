/*
 * remote_job: request, result and end frames between queued, rspawn
 * and the SMTP client processes; see remote_job.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsn.h"
#include "queue_env.h"
#include "queueid.h"
#include "remote_job.h"
#include "smtp_nexthop.h"

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

int
rjob_num_parse(const char *s, unsigned long max, unsigned long *out)
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

static int
addr_ok(const char *s, int empty_ok)
{
	return (empty_ok || s[0] != '\0') && text_ok(s, QUEUE_ADDR_MAX);
}

static int
slot_parse(const char *s, unsigned *slot)
{
	unsigned long	v;

	if (rjob_num_parse(s, RJOB_SLOT_MAX - 1, &v) == -1)
		return -1;
	*slot = (unsigned)v;
	return 0;
}

/* 1 if flags are what a recipient may ask: none, NEVER alone, or a
 * set of SUCCESS, FAILURE and DELAY. */
static int
notify_ok(int flags)
{
	return flags == 0 || flags == DSN_NOTIFY_NEVER ||
	    (flags & ~(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE |
	    DSN_NOTIFY_DELAY)) == 0;
}

static int
ret_ok(int ret)
{
	return ret == DSN_RET_NONE || ret == DSN_RET_FULL ||
	    ret == DSN_RET_HDRS;
}

int
rjob_begin(struct rjob_out *o, unsigned slot, const char *id,
    const char *sender, const char *nexthop, int ret, const char *envid)
{
	struct smtp_nexthop	 nh;
	const char		*why;
	int			 i;

	if (envid == NULL)
		envid = "";
	if (slot >= RJOB_SLOT_MAX || !queueid_valid(id) ||
	    !addr_ok(sender, 1) ||
	    smtp_nexthop_parse(nexthop, &nh, &why) == -1 || !ret_ok(ret) ||
	    (envid[0] != '\0' && !dsn_envid_ok(envid))) {
		errno = EINVAL;
		return -1;
	}
	memset(o, 0, sizeof(*o));
	(void)snprintf(o->slot, sizeof(o->slot), "%u", slot);
	o->f[0] = "J";
	o->f[1] = o->slot;
	o->f[2] = id;
	o->f[3] = sender;
	o->f[4] = nexthop;
	o->f[5] = dsn_ret_text(ret);
	o->f[6] = envid;
	o->f[7] = o->rcpts;
	/* seven fields and the seven NULs after them */
	for (i = 0; i < RJOB_REQ_FIELDS - 1; i++)
		o->fixed += strlen(o->f[i]) + 1;
	return 0;
}

int
rjob_add_rcpt(struct rjob_out *o, const char *rcpt, int notify,
    const char *orcpt)
{
	char	 nt[DSN_NOTIFY_TEXT_MAX];
	size_t	 n = strlen(rcpt), nn, no, need;

	if (orcpt == NULL)
		orcpt = "";
	if (!addr_ok(rcpt, 0) || !notify_ok(notify) ||
	    (orcpt[0] != '\0' && !dsn_orcpt_ok(orcpt))) {
		errno = EINVAL;
		return -1;
	}
	dsn_notify_text(notify, nt, sizeof(nt));
	nn = strlen(nt);
	no = strlen(orcpt);
	need = n + 1 + nn + 1 + no + (o->rlen > 0);
	if (o->nrcpt >= RJOB_RCPT_MAX ||
	    o->fixed + o->rlen + need > RJOB_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (o->rlen > 0)
		o->rcpts[o->rlen++] = '\n';
	memcpy(o->rcpts + o->rlen, rcpt, n);
	o->rlen += n;
	o->rcpts[o->rlen++] = '\t';
	memcpy(o->rcpts + o->rlen, nt, nn);
	o->rlen += nn;
	o->rcpts[o->rlen++] = '\t';
	memcpy(o->rcpts + o->rlen, orcpt, no);
	o->rlen += no;
	o->rcpts[o->rlen] = '\0';
	o->nrcpt++;
	return 0;
}

/* One recipient line, "address TAB notify TAB orcpt", split in place. */
static int
rcpt_line(char *p, struct rjob *j)
{
	char	*t1, *t2, nt[DSN_NOTIFY_TEXT_MAX];
	int	 flags = 0;

	if (j->nrcpt >= RJOB_RCPT_MAX || (t1 = strchr(p, '\t')) == NULL ||
	    (t2 = strchr(t1 + 1, '\t')) == NULL)
		return -1;
	*t1++ = '\0';
	*t2++ = '\0';
	if (!addr_ok(p, 0))
		return -1;
	if (t1[0] != '\0') {
		/* the canonical text only, as rjob_add_rcpt writes it */
		if (dsn_notify_parse(t1, strlen(t1), &flags) == -1)
			return -1;
		dsn_notify_text(flags, nt, sizeof(nt));
		if (strcmp(nt, t1) != 0)
			return -1;
	}
	if (t2[0] != '\0' && !dsn_orcpt_ok(t2))
		return -1;
	j->rcpt[j->nrcpt] = p;
	j->notify[j->nrcpt] = flags;
	j->orcpt[j->nrcpt] = t2;
	j->nrcpt++;
	return 0;
}

int
rjob_decode(struct chan_msg *m, struct rjob *j)
{
	struct smtp_nexthop	 nh;
	const char		*why;
	char			*p, *lf;

	memset(j, 0, sizeof(*j));
	if (m->nf != RJOB_REQ_FIELDS || strcmp(m->f[0], "J") != 0 ||
	    slot_parse(m->f[1], &j->slot) == -1 || !queueid_valid(m->f[2]) ||
	    !addr_ok(m->f[3], 1) ||
	    smtp_nexthop_parse(m->f[4], &nh, &why) == -1 ||
	    m->f[7][0] == '\0')
		goto bad;
	if (strcmp(m->f[5], "FULL") == 0)
		j->ret = DSN_RET_FULL;
	else if (strcmp(m->f[5], "HDRS") == 0)
		j->ret = DSN_RET_HDRS;
	else if (m->f[5][0] != '\0')
		goto bad;
	if (m->f[6][0] != '\0' && !dsn_envid_ok(m->f[6]))
		goto bad;
	j->id = m->f[2];
	j->sender = m->f[3];
	j->nexthop = m->f[4];
	j->envid = m->f[6];
	for (p = m->f[7]; p != NULL; p = lf != NULL ? lf + 1 : NULL) {
		if ((lf = strchr(p, '\n')) != NULL)
			*lf = '\0';
		if (rcpt_line(p, j) == -1)
			goto bad;
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
rjob_result_fields(const struct rjob_result *r, struct rjob_fields *o)
{
	if (r->slot >= RJOB_SLOT_MAX || r->index >= RJOB_RCPT_MAX ||
	    !status_ok(r->status) || !rjob_dsn_ok(r->dsn, r->status) ||
	    r->relay[0] == '\0' || !text_ok(r->relay, RJOB_RELAY_MAX) ||
	    r->text[0] == '\0' || !text_ok(r->text, RJOB_TEXT_MAX) ||
	    (r->dsn_peer != 0 && r->dsn_peer != 1)) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(o->num[0], sizeof(o->num[0]), "%u", r->slot);
	(void)snprintf(o->num[1], sizeof(o->num[1]), "%zu", r->index);
	o->status[0] = r->status;
	o->status[1] = '\0';
	o->f[0] = "R";
	o->f[1] = o->num[0];
	o->f[2] = o->num[1];
	o->f[3] = o->status;
	o->f[4] = r->dsn;
	o->f[5] = r->relay;
	o->f[6] = r->text;
	o->f[7] = r->dsn_peer ? "1" : "0";
	o->nf = RJOB_RES_FIELDS;
	return 0;
}

static unsigned long
cap(unsigned long v)
{
	return v > RJOB_MS_MAX ? RJOB_MS_MAX : v;
}

int
rjob_end_fields(const struct rjob_end *e, struct rjob_fields *o)
{
	static const char *const site[3] = { "0", "1", "2" };

	if (e->slot >= RJOB_SLOT_MAX || e->site < RJOB_SITE_UP ||
	    e->site > RJOB_SITE_UNTRIED) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(o->num[0], sizeof(o->num[0]), "%u", e->slot);
	(void)snprintf(o->num[1], sizeof(o->num[1]), "%lu", cap(e->wait_ms));
	(void)snprintf(o->num[2], sizeof(o->num[2]), "%lu", cap(e->conn_ms));
	(void)snprintf(o->num[3], sizeof(o->num[3]), "%lu", cap(e->xfer_ms));
	(void)snprintf(o->num[4], sizeof(o->num[4]), "%lu", cap(e->conn_use));
	o->f[0] = "E";
	o->f[1] = o->num[0];
	o->f[2] = site[e->site];
	o->f[3] = o->num[1];
	o->f[4] = o->num[2];
	o->f[5] = o->num[3];
	o->f[6] = o->num[4];
	o->f[7] = NULL;
	o->nf = RJOB_END_FIELDS;
	return 0;
}

int
rjob_reply_decode(const struct chan_msg *m, int *kind, struct rjob_result *r,
    struct rjob_end *e)
{
	char *const	*f = m->f;
	unsigned long	 v;

	if (m->nf == RJOB_RES_FIELDS && strcmp(f[0], "R") == 0) {
		memset(r, 0, sizeof(*r));
		if (slot_parse(f[1], &r->slot) == -1 ||
		    rjob_num_parse(f[2], RJOB_RCPT_MAX - 1, &v) == -1 ||
		    strlen(f[3]) != 1 || !status_ok(f[3][0]) ||
		    !rjob_dsn_ok(f[4], f[3][0]) || f[5][0] == '\0' ||
		    !text_ok(f[5], RJOB_RELAY_MAX) || f[6][0] == '\0' ||
		    !text_ok(f[6], RJOB_TEXT_MAX) || strlen(f[7]) != 1 ||
		    (f[7][0] != '0' && f[7][0] != '1'))
			goto bad;
		r->index = v;
		r->status = f[3][0];
		r->dsn = f[4];
		r->relay = f[5];
		r->text = f[6];
		r->dsn_peer = f[7][0] == '1';
		*kind = 'R';
		return 0;
	}
	if (m->nf == RJOB_END_FIELDS && strcmp(f[0], "E") == 0) {
		memset(e, 0, sizeof(*e));
		if (slot_parse(f[1], &e->slot) == -1 ||
		    strlen(f[2]) != 1 || f[2][0] < '0' || f[2][0] > '2' ||
		    rjob_num_parse(f[3], RJOB_MS_MAX, &e->wait_ms) == -1 ||
		    rjob_num_parse(f[4], RJOB_MS_MAX, &e->conn_ms) == -1 ||
		    rjob_num_parse(f[5], RJOB_MS_MAX, &e->xfer_ms) == -1 ||
		    rjob_num_parse(f[6], RJOB_MS_MAX, &e->conn_use) == -1)
			goto bad;
		e->site = f[2][0] - '0';
		*kind = 'E';
		return 0;
	}
bad:
	errno = EBADMSG;
	return -1;
}
