/*
 * facteurctl_queue: `facteurctl queue`, the queue tools.  Each asks
 * queued through its control socket (lib/queue/queue_ctl.h) and prints
 * the answer; none touches a queue file.  Root and the queue's owner see
 * and change every message; any other user sees, flushes and deletes its
 * own (queued decides, from the socket's credentials).
 *
 *	queue list [--json]	mailq's listing, or postqueue -j's JSON
 *	queue show ID		envelope, DSN parameters, jobs, header
 *	queue flush [ID|domain]	due now: all, one message, one domain
 *	queue hold ID...|ALL	no more attempts until released
 *	queue release ID...|ALL
 *	queue delete ID...|ALL	removed, without a notice (logged)
 *	queue requeue ID...|ALL	pending recipients resolved again, now
 *
 * Exit: 0 done; 1 queued refused (no such message, not allowed); 69
 * queued cannot be reached; 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "conf.h"
#include "facteurctl.h"
#include "queue_ctl.h"
#include "queue_list.h"

static int
queue_usage(void)
{
	fprintf(stderr,
	    "usage: facteurctl queue list [--json]\n"
	    "       facteurctl queue show ID\n"
	    "       facteurctl queue flush [ID|domain]\n"
	    "       facteurctl queue hold|release|delete|requeue ID...|ALL\n");
	return CTL_EX_USAGE;
}

static void
conf_error_print(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "facteurctl: %s\n", msg);
}

/* What a queue_ctl call returned, as facteurctl's exit status. */
static int
queue_status(int r, const char *what, const char *text)
{
	if (r == 0)
		return CTL_EX_OK;
	fprintf(stderr, "facteurctl: %s%s%s\n", what, what[0] != '\0' ?
	    ": " : "", text);
	return r == 1 ? CTL_EX_FAIL : CTL_EX_UNAVAILABLE;
}

/* "Mon, 7 Dec 2026 10:11:12 +0000" in local time, or "-" for 0. */
static const char *
when(long long t, char *out, size_t n)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(out, n, "%a, %e %b %Y %H:%M:%S %z", &tm) == 0)
		(void)strlcpy(out, "-", n);
	return out;
}

/* A job's status in words. */
static const char *
job_words(const struct qlist_job *j)
{
	switch (j->status) {
	case QJ_PENDING:
		return j->attempts > 0 ? "deferred" : "waiting";
	case QJ_DELIVERED:
		return "delivered";
	case QJ_FAILED:
		return "failed";
	case QJ_BOUNCE:
		return "failed, its bounce not sent yet";
	case QJ_NOTICE:
		return "delivered, its success notice not sent yet";
	case QJ_RELAYED:
		return "relayed, its success notice not sent yet";
	default:
		return "?";
	}
}

struct show {
	int		 got;		/* the M frame came */
	int		 in_header;
	int		 in_env;
	int		 in_jobs;
};

static int
show_frame(void *arg, const struct chan_msg *m)
{
	struct show	*s = arg;
	struct qlist_msg msg;	/* parsed here: a failed parse clears it */
	struct qlist_job j;
	char		 t[64], a[QUEUE_ADDR_MAX + 1], b[QUEUE_ADDR_MAX + 1];
	char		 text[QCTL_HEADER_CHUNK + 1];
	size_t		 i;

	if (strcmp(m->f[0], "D") == 0 && m->nf == 5) {
		qlist_safe(m->f[2], a, sizeof(a));
		if (m->f[1][0] != '\0' || a[0] != '\0')
			printf("DSN:          RET=%s ENVID=%s\n",
			    m->f[1][0] != '\0' ? m->f[1] : "(none)",
			    a[0] != '\0' ? a : "(none)");
		if (strcmp(m->f[3], "0") != 0)
			printf("Held since:   %s\n", when(strtoll(m->f[3], NULL,
			    10), t, sizeof(t)));
		if (strcmp(m->f[4], "0") != 0)
			printf("Delay warning sent: %s\n", when(strtoll(m->f[4],
			    NULL, 10), t, sizeof(t)));
		return 0;
	}
	if (qlist_msg_parse(m, &msg) == 0) {
		s->got = 1;
		qlist_safe(msg.sender, a, sizeof(a));
		printf("Queue ID:     %s\nState:        %s\n"
		    "Arrival:      %s\nSize:         %lld\n"
		    "Sender:       <%s>\nSubmitted:    %s%suid %lld\n",
		    msg.id, msg.state, when(msg.arrival, t, sizeof(t)),
		    msg.size, a, msg.origin[0] != '\0' ? msg.origin : "",
		    msg.origin[0] != '\0' ? ", " : "", msg.uid);
		return 0;
	}
	if (strcmp(m->f[0], "E") == 0 && m->nf == 4) {
		if (!s->in_env++)
			printf("Envelope recipients:\n");
		qlist_safe(m->f[1], a, sizeof(a));
		qlist_safe(m->f[3], b, sizeof(b));
		printf("  <%s>%s%s%s%s\n", a, m->f[2][0] != '\0' ?
		    " NOTIFY=" : "", m->f[2], b[0] != '\0' ? " ORCPT=" : "",
		    b);
		return 0;
	}
	if (qlist_job_parse(m, &j) == 0) {
		if (!s->in_jobs++)
			printf("Delivery:\n");
		qlist_safe(j.rcpt, a, sizeof(a));
		qlist_safe(j.orig, b, sizeof(b));
		printf("  <%s>", a);
		if (strcmp(j.rcpt, j.orig) != 0)
			printf(" (for <%s>)", b);
		printf(": %s, %u attempt%s", job_words(&j), j.attempts,
		    j.attempts == 1 ? "" : "s");
		if (j.status == QJ_PENDING && j.next_try > 0)
			printf(", next %s", when(j.next_try, t, sizeof(t)));
		qlist_safe(j.reason, text, sizeof(text));
		if (text[0] != '\0')
			printf("\n      %s", text);
		printf("\n");
		return 0;
	}
	if (strcmp(m->f[0], "H") == 0 && m->nf == 2) {
		if (!s->in_header++)
			printf("Header:\n");
		/* a header line as it is, its control bytes but TAB as '?' */
		for (i = 0; m->f[1][i] != '\0' && i < sizeof(text) - 1; i++) {
			unsigned char c = (unsigned char)m->f[1][i];

			text[i] = c == '\n' || c == '\t' ? (char)c :
			    c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		text[i] = '\0';
		fputs(text, stdout);
		return 0;
	}
	return -1;
}

static int
queue_show(const char *dir, const char *id)
{
	struct qctl_req	 r;
	struct show	 s;
	char		 err[512];
	int		 k;

	if (!queueid_valid(id)) {
		fprintf(stderr, "facteurctl: %s is not a queue ID\n", id);
		return CTL_EX_USAGE;
	}
	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.verb = QCTL_SHOW;
	r.target = QCTL_ID;
	(void)strlcpy(r.id, id, sizeof(r.id));
	k = qctl_run(dir, &r, show_frame, &s, err, sizeof(err));
	(void)fflush(stdout);
	return queue_status(k, "", err);
}

/* One action, one target; prints what queued said. */
static int
queue_act(const char *dir, int verb, const char *arg)
{
	struct qctl_req	 r;
	char		 err[512];
	int		 k;

	memset(&r, 0, sizeof(r));
	r.verb = verb;
	if (arg == NULL || strcmp(arg, "ALL") == 0)
		r.target = QCTL_ALL;
	else if (queueid_valid(arg)) {
		r.target = QCTL_ID;
		(void)strlcpy(r.id, arg, sizeof(r.id));
	} else if (verb == QCTL_FLUSH) {
		r.target = QCTL_DOMAIN;
		if (strlcpy(r.domain, arg, sizeof(r.domain)) >=
		    sizeof(r.domain)) {
			fprintf(stderr, "facteurctl: domain too long\n");
			return CTL_EX_USAGE;
		}
	} else {
		fprintf(stderr, "facteurctl: %s is not a queue ID\n", arg);
		return CTL_EX_USAGE;
	}
	k = qctl_run(dir, &r, NULL, NULL, err, sizeof(err));
	if (k == 0)
		printf("%s\n", err);
	return queue_status(k, "", err);
}

int
ctl_queue(const char *conf_path, int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		 verb;
	} acts[] = {
		{ "hold", QCTL_HOLD }, { "release", QCTL_RELEASE },
		{ "delete", QCTL_DELETE }, { "requeue", QCTL_REQUEUE },
	};
	struct conf	*conf;
	char		 err[512];
	const char	*dir;
	size_t		 i;
	int		 k, st = CTL_EX_OK, r;

	if (argc < 2)
		return queue_usage();
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(argv[1], acts[i].name) == 0)
			break;
	if (!(strcmp(argv[1], "list") == 0 && (argc == 2 || (argc == 3 &&
	    strcmp(argv[2], "--json") == 0))) &&
	    !(strcmp(argv[1], "show") == 0 && argc == 3) &&
	    !(strcmp(argv[1], "flush") == 0 && argc <= 3) &&
	    !(i < sizeof(acts) / sizeof(acts[0]) && argc >= 3))
		return queue_usage();
	if ((conf = conf_load(conf_path, conf_error_print, NULL)) == NULL) {
		fprintf(stderr, "facteurctl: %s has errors\n", conf_path);
		return CTL_EX_FAIL;
	}
	dir = conf_str(conf, "control_dir");
	if (strcmp(argv[1], "list") == 0) {
		k = qlist_print(dir, argc == 3, stdout, err, sizeof(err));
		st = queue_status(k, "", err);
	} else if (strcmp(argv[1], "show") == 0 && argc == 3)
		st = queue_show(dir, argv[2]);
	else if (strcmp(argv[1], "flush") == 0 && argc <= 3)
		st = queue_act(dir, QCTL_FLUSH, argc == 3 ? argv[2] : NULL);
	else {
		for (k = 2; k < argc; k++)
			if ((r = queue_act(dir, acts[i].verb, argv[k])) !=
			    CTL_EX_OK && st == CTL_EX_OK)
				st = r;
	}
	conf_free(conf);
	return st;
}
