/*
 * facteurctl_explain: `facteurctl explain [-f log] ID`, the story of one
 * message on one screen: how it arrived (client, HELO, TLS, AUTH user,
 * or the local user that submitted it), every delivery attempt per
 * recipient with its time, where it went, what was answered and how long
 * it took, the next attempt and why then, the notices its sender got,
 * what an administrator did to it, and how it ended.
 *
 * It reads the log (-f FILE, "-" for standard input; else log_file;
 * else /var/log/mail.log, where rsyslog puts LOG_MAIL on Debian; with
 * only the journal: journalctl -o short --facility=mail | facteurctl
 * explain -f - ID) and asks queued for the message's present state
 * (SHOW on the control socket, as facteurctl queue show does): queued
 * answers any user about its own messages only, and a log that the
 * caller cannot read is said so.
 *
 * Trust: the log's text is shown with its control bytes as '?'
 * (facteurctl_explain_log.c); queued's answer is checked frame by frame
 * (lib/queue/queue_list.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "facteurctl.h"
#include "facteurctl_explain.h"
#include "queue_ctl.h"
#include "queue_list.h"

#define EXPLAIN_RCPT_MAX	1000	/* recipients shown one by one */

/* What queued says of the message now. */
struct xstate {
	int		 found;		/* queued has it */
	struct qlist_msg msg;
	long long	 held;
	struct qlist_job *jobs;
	size_t		 njobs;
};

static int
xstate_frame(void *arg, const struct chan_msg *m)
{
	struct xstate	*s = arg;
	struct qlist_job *nj;
	struct qlist_msg msg;

	if (qlist_msg_parse(m, &msg) == 0) {
		s->msg = msg;
		s->found = 1;
		return 0;
	}
	if (strcmp(m->f[0], "D") == 0 && m->nf == 5) {
		s->held = strtoll(m->f[3], NULL, 10);
		return 0;
	}
	if (strcmp(m->f[0], "R") == 0) {
		if (s->njobs >= EXPLAIN_RCPT_MAX)
			return 0;
		if ((nj = reallocarray(s->jobs, s->njobs + 1,
		    sizeof(*nj))) == NULL)
			return -1;
		s->jobs = nj;
		return qlist_job_parse(m, &s->jobs[s->njobs++]);
	}
	/* E and H frames: not needed here */
	return strcmp(m->f[0], "E") == 0 || strcmp(m->f[0], "H") == 0 ? 0 : -1;
}

/* Local time with hundredths: "2026-12-07 10:11:12.34". */
static const char *
xtime(double t, char *out, size_t n)
{
	struct tm	 tm;
	time_t		 s = (time_t)t;
	char		 base[32];

	if (t <= 0 || localtime_r(&s, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		(void)strlcpy(out, "(time unknown)", n);
		return out;
	}
	(void)snprintf(out, n, "%s.%02d", base, (int)((t - (double)s) * 100));
	return out;
}

/* "1h 2m 5s" */
static const char *
xspan(long long s, char *out, size_t n)
{
	if (s >= 86400 && s % 86400 == 0)
		(void)snprintf(out, n, "%lldd", s / 86400);
	else if (s >= 3600)
		(void)snprintf(out, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		(void)snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
	else
		(void)snprintf(out, n, "%llds", s);
	return out;
}

/*
 * How the message arrived.  The lines are looked for in the whole log,
 * not in their order: enqueue logs its pickup line once the message is
 * committed, and queued, woken by the commit, may log its own first.
 */
static void
x_arrival(const struct xlog *x)
{
	const struct xlog_line *smtp = NULL, *local = NULL, *from = NULL, *l;
	char		 t[40], v[512], w[512];
	size_t		 i;

	for (i = 0; i < x->n; i++) {
		l = &x->v[i];
		if (strcmp(l->id, x->ids[0]) != 0)
			continue;
		if (strncmp(l->text, "client=", 7) == 0 && smtp == NULL)
			smtp = l;
		else if (strncmp(l->text, "uid=", 4) == 0 && local == NULL)
			local = l;
		else if (strncmp(l->text, "from=<", 6) == 0 && from == NULL &&
		    strstr(l->text, ", size=") != NULL)
			from = l;
	}
	if ((l = smtp) != NULL) {
		printf("Arrived   %s  by SMTP", xtime(l->t, t, sizeof(t)));
		if (xlog_field(l->text, "client", v, sizeof(v)) == 0)
			printf(" from %s", v);
		if (xlog_field(l->text, "helo", v, sizeof(v)) == 0)
			printf(", HELO %s", v);
		if (xlog_field(l->text, "proto", v, sizeof(v)) == 0)
			printf(", %s", v);
		printf("\n");
		if (xlog_field(l->text, "tls", v, sizeof(v)) == 0)
			printf("          TLS: %s\n", v);
		else
			printf("          without TLS\n");
		if (xlog_field(l->text, "sasl_username", v, sizeof(v)) == 0) {
			if (xlog_field(l->text, "sasl_method", w,
			    sizeof(w)) == -1)
				(void)strlcpy(w, "?", sizeof(w));
			printf("          AUTH %s as %s\n", w, v);
		}
	} else if ((l = local) != NULL) {
		printf("Arrived   %s  submitted locally (sendmail) by uid ",
		    xtime(l->t, t, sizeof(t)));
		printf("%.*s\n", (int)strcspn(l->text + 4, " "), l->text + 4);
	} else if (from != NULL)
		printf("Arrived   %s  (how is not in the log)\n",
		    xtime(from->t, t, sizeof(t)));
	else
		printf("Arrived   (not in this log)\n");
	if ((l = from) == NULL)
		return;
	(void)xlog_field(l->text, "from", v, sizeof(v));
	printf("          sender <%s>", v);
	if (xlog_field(l->text, "size", w, sizeof(w)) == 0)
		printf(", %s octets", w);
	if (xlog_field(l->text, "nrcpt", w, sizeof(w)) == 0)
		printf(", %.*s recipient(s)", (int)strcspn(w, " ,"), w);
	printf("\n");
}

/* The delivery attempts for recipient rcpt, as the log has them. */
static size_t
x_attempts(const struct xlog *x, const char *rcpt)
{
	char		 t[40], relay[256], delays[64], status[1024];
	char		 r[1024];
	const char	*p, *q;
	size_t		 i, k = 0;

	for (i = 0; i < x->n; i++) {
		const struct xlog_line *l = &x->v[i];

		/* queued's lines (lspawn's say the same, without relay=) */
		if (strcmp(l->id, x->ids[0]) != 0 ||
		    strncmp(l->text, "to=<", 4) != 0 ||
		    xlog_field(l->text, "to", r, sizeof(r)) == -1 ||
		    strcmp(r, rcpt) != 0 || (strcmp(l->prog, "queued") != 0 &&
		    strstr(l->text, ", relay=") == NULL))
			continue;
		if (strstr(l->text, "no non-delivery notification") != NULL) {
			printf("          %s  no bounce: the sender's NOTIFY "
			    "did not ask for one\n", xtime(l->t, t, sizeof(t)));
			continue;
		}
		if ((p = strstr(l->text, ", status=")) == NULL)
			continue;
		k++;
		(void)strlcpy(status, p + 9, sizeof(status));
		if (xlog_field(l->text, "relay", relay, sizeof(relay)) == -1)
			(void)strlcpy(relay, "?", sizeof(relay));
		printf("          %s  attempt %zu via %s", xtime(l->t, t,
		    sizeof(t)), k, relay);
		/* delays=a/b/c/d: the last two are this attempt's */
		if (xlog_field(l->text, "delays", delays, sizeof(delays)) ==
		    0 && (q = strchr(delays, '/')) != NULL &&
		    (q = strchr(q + 1, '/')) != NULL)
			printf(", took %.2f s", strtod(q + 1, NULL) +
			    strtod(strchr(q + 1, '/') != NULL ?
			    strchr(q + 1, '/') + 1 : "0", NULL));
		printf(":\n            %s\n", status);
	}
	return k;
}

static const struct qlist_job *
x_job(const struct xstate *s, const char *rcpt)
{
	size_t	 i;

	for (i = 0; i < s->njobs; i++)
		if (strcmp(s->jobs[i].rcpt, rcpt) == 0)
			return &s->jobs[i];
	return NULL;
}

/* Why the next attempt is when it is. */
static void
x_next(const struct conf *c, const struct xstate *s,
    const struct qlist_job *j)
{
	char		 t[40], a[32], b[32], d[32];
	long long	 min = conf_int(c, "queue_retry_min");
	long long	 max = conf_int(c, "queue_retry_max");
	long long	 life = conf_int(c, "queue_lifetime");

	if (s->held > 0) {
		printf("          held since %s: no attempt until it is "
		    "released (facteurctl queue release)\n",
		    xtime((double)s->held, t, sizeof(t)));
		return;
	}
	if (j->status == QJ_BOUNCE || j->status == QJ_NOTICE ||
	    j->status == QJ_RELAYED) {
		printf("          its notice to the sender is not sent yet; "
		    "queued tries again at the next pass\n");
		return;
	}
	if (j->status != QJ_PENDING)
		return;
	if (j->attempts == 0) {
		printf("          no attempt yet: due %s\n", j->next_try > 0 ?
		    xtime((double)j->next_try, t, sizeof(t)) : "now");
		return;
	}
	printf("          next attempt %s: after %u failed attempt%s, the "
	    "wait doubles from queue_retry_min (%s) up to queue_retry_max "
	    "(%s)\n", xtime((double)j->next_try, t, sizeof(t)), j->attempts,
	    j->attempts == 1 ? "" : "s", xspan(min, a, sizeof(a)),
	    xspan(max, b, sizeof(b)));
	printf("          returned to the sender if it still fails after "
	    "%s (queue_lifetime %s)\n", xtime((double)(s->msg.arrival + life),
	    t, sizeof(t)), xspan(life, d, sizeof(d)));
}

/* The recipients: those the log names, then those only queued knows. */
static void
x_recipients(const struct conf *c, const struct xlog *x,
    const struct xstate *s)
{
	char		(*seen)[QUEUE_ADDR_MAX + 1];
	char		 r[QUEUE_ADDR_MAX + 1], o[QUEUE_ADDR_MAX + 1];
	const struct qlist_job *j;
	size_t		 i, k, n = 0;

	if ((seen = calloc(EXPLAIN_RCPT_MAX, sizeof(*seen))) == NULL)
		return;
	for (i = 0; i < x->n + s->njobs && n < EXPLAIN_RCPT_MAX; i++) {
		if (i < x->n) {
			if (strcmp(x->v[i].id, x->ids[0]) != 0 ||
			    strncmp(x->v[i].text, "to=<", 4) != 0 ||
			    xlog_field(x->v[i].text, "to", r, sizeof(r)) == -1)
				continue;
			if (xlog_field(x->v[i].text, "orig_to", o,
			    sizeof(o)) == -1)
				o[0] = '\0';
		} else {
			qlist_safe(s->jobs[i - x->n].rcpt, r, sizeof(r));
			qlist_safe(s->jobs[i - x->n].orig, o, sizeof(o));
			if (strcmp(o, r) == 0)
				o[0] = '\0';
		}
		for (k = 0; k < n; k++)
			if (strcmp(seen[k], r) == 0)
				break;
		if (k < n)
			continue;
		(void)strlcpy(seen[n++], r, sizeof(seen[0]));
		printf("Recipient <%s>%s%s%s\n", r, o[0] != '\0' ?
		    " (for <" : "", o, o[0] != '\0' ? ">)" : "");
		if (x_attempts(x, r) == 0 && !s->found)
			printf("          no attempt in this log\n");
		if (s->found && (j = x_job(s, r)) != NULL)
			x_next(c, s, j);
	}
	if (n == EXPLAIN_RCPT_MAX)
		printf("(more recipients not shown)\n");
	free(seen);
}

/* Notices, administrators' actions, the end. */
static void
x_events(const struct xlog *x, const struct xstate *s)
{
	static const char *const events[] = { "placed on hold",
	    "released from hold", "requeued", "deleted by uid",
	    "undeliverable bounce", "refused:", "failed:", NULL };
	char		 t[40], v[1024];
	const char	*p;
	size_t		 i, k, e;
	double		 removed = 0;

	for (i = 0; i < x->n; i++) {
		const struct xlog_line *l = &x->v[i];

		if (strcmp(l->id, x->ids[0]) != 0)
			continue;
		if (strncmp(l->text, "sender ", 7) == 0 &&
		    (p = strstr(l->text, " notification: ")) != NULL) {
			printf("Notice    %s  %.*s: queued as %s\n",
			    xtime(l->t, t, sizeof(t)),
			    (int)(p - l->text) + 13, l->text,
			    p + strlen(" notification: "));
			/* how that notice fared */
			for (k = 0; k < x->n; k++)
				if (strcmp(x->v[k].id, p + 16) == 0 &&
				    strncmp(x->v[k].text, "to=<", 4) == 0 &&
				    xlog_field(x->v[k].text, "status", v,
				    sizeof(v)) == 0)
					printf("          %s: %s\n",
					    xtime(x->v[k].t, t, sizeof(t)), v);
			continue;
		}
		if (strncmp(l->text, "removed", 7) == 0) {
			removed = l->t;
			continue;
		}
		for (e = 0; events[e] != NULL; e++)
			if (strncmp(l->text, events[e],
			    strlen(events[e])) == 0)
				printf("Event     %s  %s\n", xtime(l->t, t,
				    sizeof(t)), l->text);
	}
	if (s->found)
		printf("Now       in the queue, %s\n", s->msg.state);
	else if (removed > 0)
		printf("Ended     %s  every recipient done; removed from the "
		    "queue\n", xtime(removed, t, sizeof(t)));
	else
		printf("Now       not in the queue%s\n", x->n > 0 ?
		    " (its removal is not in this log)" : "");
}

static void
conf_error_print(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "facteurctl: %s\n", msg);
}

int
ctl_explain(const char *conf_path, int argc, char **argv)
{
	struct conf	*conf;
	struct xlog	 x;
	struct xstate	 s;
	struct qctl_req	 r;
	const char	*path = NULL, *id;
	char		 err[512];
	FILE		*f;
	int		 ch, k;

	while ((ch = getopt(argc, argv, "f:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	id = argv[optind];
	if (!queueid_valid(id)) {
		fprintf(stderr, "facteurctl: %s is not a queue ID\n", id);
		return CTL_EX_USAGE;
	}
	if ((conf = conf_load(conf_path, conf_error_print, NULL)) == NULL)
		return CTL_EX_FAIL;
	if (path == NULL)
		path = conf_str(conf, "log_file")[0] != '\0' ?
		    conf_str(conf, "log_file") : "/var/log/mail.log";
	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	r.verb = QCTL_SHOW;
	r.target = QCTL_ID;
	(void)strlcpy(r.id, id, sizeof(r.id));
	k = qctl_run(conf_str(conf, "control_dir"), &r, xstate_frame, &s, err,
	    sizeof(err));
	if (k == -1)
		fprintf(stderr, "facteurctl: the queue's state is unknown: "
		    "%s\n", err);
	else if (k == 1)
		s.found = 0;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "facteurctl: cannot read the log %s: %s%s\n",
		    path, strerror(errno), errno == ENOENT ?
		    " (set log_file, or give -f)" : "");
		memset(&x, 0, sizeof(x));
		(void)strlcpy(x.ids[0], id, sizeof(x.ids[0]));
		x.nids = 1;
	} else {
		if (xlog_read(f, id, &x) == -1)
			fprintf(stderr, "facteurctl: reading %s: %s\n", path,
			    strerror(errno));
		if (f != stdin)
			(void)fclose(f);
	}
	printf("Message   %s\n", id);
	x_arrival(&x);
	x_recipients(conf, &x, &s);
	x_events(&x, &s);
	if (x.skipped > 0)
		printf("(%zu over-long log lines skipped)\n", x.skipped);
	k = x.n == 0 && !s.found;
	if (k)
		fprintf(stderr, "facteurctl: %s: nothing in the log, not in "
		    "the queue\n", id);
	xlog_free(&x);
	free(s.jobs);
	conf_free(conf);
	return k ? CTL_EX_FAIL : CTL_EX_OK;
usage:
	fprintf(stderr, "usage: facteurctl [-C file] explain [-f logfile] "
	    "ID\n");
	return CTL_EX_USAGE;
}
