/*
 * queue_list: reading queued's answers and printing the queue as mailq
 * and postqueue -j do (queue_list.h).
 *
 * Trust: see queue_list.h: every frame from queued is checked before a
 * byte of it is printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "queue_list.h"

/* A decimal number, no sign, within [0, max]. */
static int
num_field(const char *s, long long max, long long *out)
{
	const char	*e;

	if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 19)
		return -1;
	*out = strtonum(s, 0, max, &e);
	return e == NULL ? 0 : -1;
}

static int
text_field(const char *s, char *out, size_t n)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return strlcpy(out, s, n) < n ? 0 : -1;
}

int
qlist_msg_parse(const struct chan_msg *f, struct qlist_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (f->nf != 8 || strcmp(f->f[0], "M") != 0 ||
	    !queueid_valid(f->f[1]) ||
	    (strcmp(f->f[2], "active") != 0 &&
	    strcmp(f->f[2], "deferred") != 0 && strcmp(f->f[2], "hold") != 0) ||
	    num_field(f->f[3], 253402300799LL, &m->arrival) == -1 ||
	    num_field(f->f[4], LLONG_MAX, &m->size) == -1 ||
	    num_field(f->f[6], 4294967295LL, &m->uid) == -1 ||
	    text_field(f->f[5], m->sender, sizeof(m->sender)) == -1 ||
	    text_field(f->f[7], m->origin, sizeof(m->origin)) == -1)
		return -1;
	(void)strlcpy(m->id, f->f[1], sizeof(m->id));
	(void)strlcpy(m->state, f->f[2], sizeof(m->state));
	return 0;
}

int
qlist_job_parse(const struct chan_msg *f, struct qlist_job *j)
{
	long long	 n;

	memset(j, 0, sizeof(*j));
	if (f->nf != 7 || strcmp(f->f[0], "R") != 0 ||
	    strlen(f->f[3]) != 1 || !queue_job_status_ok(f->f[3][0]) ||
	    num_field(f->f[4], 4294967295LL, &n) == -1 ||
	    num_field(f->f[5], LLONG_MAX, &j->next_try) == -1 ||
	    text_field(f->f[1], j->rcpt, sizeof(j->rcpt)) == -1 ||
	    text_field(f->f[2], j->orig, sizeof(j->orig)) == -1 ||
	    text_field(f->f[6], j->reason, sizeof(j->reason)) == -1)
		return -1;
	j->status = f->f[3][0];
	j->attempts = (unsigned)n;
	return 0;
}

void
qlist_safe(const char *s, char *out, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t c;
	size_t	 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	c = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

int
qlist_json_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 k;
	int		 r = buf_putc(out, '"');

	while (r != -1 && *p != '\0') {
		if (*p == '"' || *p == '\\')
			r = buf_printf(out, "\\%c", *p++);
		else if (*p < 0x20 || *p == 0x7f)
			r = buf_printf(out, "\\u%04x", *p++);
		else if ((k = utf8_len(p)) == 0) {
			r = buf_append_str(out, "\\ufffd");
			p++;
		} else {
			r = buf_append(out, p, k);
			p += k;
		}
	}
	if (r != -1)
		r = buf_putc(out, '"');
	return r == -1 ? -1 : 0;
}

int
qctl_run(const char *control_dir, const struct qctl_req *r,
    int (*cb)(void *, const struct chan_msg *), void *arg, char *err,
    size_t n)
{
	struct chan	 c;
	struct chan_msg	*m;
	long long	 deadline = fd_now_ms() + QCTL_DEADLINE_MS;
	int		 fd, k, ret = -1;

	if ((fd = qctl_connect(control_dir, err, n)) == -1)
		return -1;
	if ((m = malloc(sizeof(*m))) == NULL) {
		(void)close(fd);
		(void)snprintf(err, n, "out of memory");
		return -1;
	}
	chan_init(&c, fd, CHAN_STREAM, CHAN_FRAME_MAX);
	if (qctl_send(&c, r, deadline) == -1) {
		(void)snprintf(err, n, "queued did not take the request: %s",
		    strerror(errno));
		goto out;
	}
	for (;;) {
		if ((k = qctl_recv(&c, m, deadline)) != 1) {
			(void)snprintf(err, n, "%s", k == 0 ?
			    "queued closed the connection (busy?)" :
			    errno == ETIMEDOUT ? "queued did not answer in time" :
			    "queued's answer is malformed");
			goto out;
		}
		if ((strcmp(m->f[0], "K") == 0 || strcmp(m->f[0], "X") == 0) &&
		    m->nf == 2) {
			qlist_safe(m->f[1], err, n);
			ret = m->f[0][0] == 'K' ? 0 : 1;
			goto out;
		}
		if (cb == NULL || cb(arg, m) == -1) {
			(void)snprintf(err, n, "queued's answer is malformed");
			goto out;
		}
	}
out:
	chan_close(&c);
	free(m);
	return ret;
}

/* The printer's state between frames. */
struct qlist_out {
	FILE		*out;
	int		 json;
	int		 open;		/* a message is being printed */
	long long	 bytes;
	size_t		 count;
	char		 reason[QUEUE_REASON_MAX + 1];	/* the last shown */
	struct buf	 rcpts;		/* JSON: the recipients so far */
	struct qlist_msg msg;
	struct qlist_job job;
};

#define MAILQ_RCPT_INDENT	46

static int
qlist_json_end(struct qlist_out *o)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, 64 * 1024 * 1024);
	r = buf_printf(&b, "{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
	    "\"arrival_time\": %lld, \"message_size\": %lld, "
	    "\"forced_expire\": false, \"sender\": ", o->msg.state, o->msg.id,
	    o->msg.arrival, o->msg.size);
	if (r != -1)
		r = qlist_json_string(&b, o->msg.sender);
	if (r != -1)
		r = buf_printf(&b, ", \"recipients\": [%s]}\n",
		    o->rcpts.data != NULL ? o->rcpts.data : "");
	if (r != -1 && fwrite(b.data, 1, b.len, o->out) != b.len)
		r = -1;
	buf_free(&b);
	buf_reset(&o->rcpts);
	return r;
}

static int
qlist_msg_end(struct qlist_out *o)
{
	if (!o->open)
		return 0;
	o->open = 0;
	if (o->json)
		return qlist_json_end(o);
	return fputc('\n', o->out) == EOF ? -1 : 0;
}

static int
qlist_on_msg(struct qlist_out *o)
{
	char		 when[32], sender[QUEUE_ADDR_MAX + 1];
	struct tm	 tm;
	time_t		 t = (time_t)o->msg.arrival;
	int		 mark;

	o->open = 1;
	o->count++;
	o->bytes += o->msg.size;
	o->reason[0] = '\0';
	if (o->json)
		return 0;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		(void)strlcpy(when, "?", sizeof(when));
	mark = strcmp(o->msg.state, "hold") == 0 ? '!' :
	    strcmp(o->msg.state, "active") == 0 ? '*' : ' ';
	qlist_safe(o->msg.sender[0] != '\0' ? o->msg.sender : "MAILER-DAEMON",
	    sender, sizeof(sender));
	return fprintf(o->out, "%-14s%c %8lld %-20.20s %s\n", o->msg.id, mark,
	    o->msg.size, when, sender) < 0 ? -1 : 0;
}

const char *
qlist_reason_text(const char *reason)
{
	const char	*p = reason;
	size_t		 n;
	int		 part;

	/* class.subject.detail: [245] "." 1-3 digits "." 1-3 digits, blank */
	if (*p != '2' && *p != '4' && *p != '5')
		return reason;
	p++;
	for (part = 0; part < 2; part++) {
		if (*p++ != '.')
			return reason;
		n = strspn(p, "0123456789");
		if (n == 0 || n > 3)
			return reason;
		p += n;
	}
	if (*p != ' ' || p[1] == '\0')
		return reason;
	return p + 1;
}

static int
qlist_on_job(struct qlist_out *o)
{
	char	 s[QUEUE_ADDR_MAX + QUEUE_REASON_MAX + 4];
	int	 r = 0;

	if (!o->open)
		return -1;
	if (o->json) {
		if (o->rcpts.len > 0)
			r = buf_append_str(&o->rcpts, ", ");
		if (r != -1)
			r = buf_append_str(&o->rcpts, "{\"address\": ");
		if (r != -1)
			r = qlist_json_string(&o->rcpts, o->job.rcpt);
		if (r != -1 && o->job.attempts > 0 &&
		    o->job.reason[0] != '\0') {
			r = buf_append_str(&o->rcpts, ", \"delay_reason\": ");
			if (r != -1)
				r = qlist_json_string(&o->rcpts,
				    qlist_reason_text(o->job.reason));
		}
		if (r != -1)
			r = buf_putc(&o->rcpts, '}');
		return r;
	}
	/* the reason of the last attempt, once for the recipients it shares */
	if (o->job.attempts > 0 && o->job.reason[0] != '\0' &&
	    strcmp(o->job.reason, o->reason) != 0) {
		(void)strlcpy(o->reason, o->job.reason, sizeof(o->reason));
		qlist_safe(qlist_reason_text(o->job.reason), s, sizeof(s));
		if (fprintf(o->out, "(%s)\n", s) < 0)
			return -1;
	}
	qlist_safe(o->job.rcpt, s, sizeof(s));
	return fprintf(o->out, "%*s%s\n", MAILQ_RCPT_INDENT, "", s) < 0 ?
	    -1 : 0;
}

static int
qlist_frame(void *arg, const struct chan_msg *m)
{
	struct qlist_out *o = arg;
	struct qlist_msg next;

	if (qlist_msg_parse(m, &next) == 0) {
		if (qlist_msg_end(o) == -1)
			return -1;
		o->msg = next;
		if (!o->json && o->count == 0 &&
		    fprintf(o->out, "%-15s %8s %-20s %s\n", "-Queue ID-",
		    "--Size--", "----Arrival Time----",
		    "-Sender/Recipient-------") < 0)
			return -1;
		return qlist_on_msg(o);
	}
	if (qlist_job_parse(m, &o->job) == 0)
		return qlist_on_job(o);
	return -1;
}

int
qlist_print(const char *control_dir, int json, FILE *out, char *err,
    size_t n)
{
	struct qlist_out	*o;
	struct qctl_req		 r;
	int			 ret;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		(void)snprintf(err, n, "out of memory");
		return -1;
	}
	o->out = out;
	o->json = json;
	buf_init(&o->rcpts, 64 * 1024 * 1024);
	memset(&r, 0, sizeof(r));
	r.verb = QCTL_LIST;
	r.target = QCTL_ALL;
	ret = qctl_run(control_dir, &r, qlist_frame, o, err, n);
	if (ret == 0 && qlist_msg_end(o) == -1)
		ret = -1;
	if (ret == 0 && !json) {
		if (o->count == 0)
			(void)fprintf(out, "Mail queue is empty\n");
		else
			(void)fprintf(out, "-- %lld Kbytes in %zu Request%s.\n",
			    (o->bytes + 1023) / 1024, o->count,
			    o->count == 1 ? "" : "s");
	}
	if (fflush(out) == EOF && ret == 0) {
		(void)snprintf(err, n, "write: %s", strerror(errno));
		ret = -1;
	}
	buf_free(&o->rcpts);
	free(o);
	return ret;
}
