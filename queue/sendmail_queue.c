/*
 * sendmail_queue: what the sendmail front end does to the queue, as
 * Postfix's does through postqueue: -bp (and the name mailq) lists it in
 * mailq's form, -q flushes it.  Both ask queued through its control
 * socket (lib/queue/queue_ctl.h), as the caller: root and the queue's
 * owner see and flush every message, anyone else its own.
 *
 *   -q          every waiting message is due now
 *   -qRsite     those with a recipient in site
 *   -qIid       the message id
 *   -qINTERVAL  (sendmail's daemon mode) accepted: queued runs the queue
 *               all the time; a flush is done once
 *
 * Exit codes are sysexits(3): EX_UNAVAILABLE when queued cannot be
 * reached, EX_NOPERM when it refused, EX_USAGE for a bad -q.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "queue_ctl.h"
#include "queue_list.h"
#include "sendmail.h"

int
sm_mailq(const struct conf *conf, const char *prog)
{
	char	 err[512];
	int	 r;

	r = qlist_print(conf_str(conf, "control_dir"), 0, stdout, err,
	    sizeof(err));
	if (r == 0)
		return EX_OK;
	fprintf(stderr, "%s: %s\n", prog, err);
	return r == 1 ? EX_NOPERM : EX_UNAVAILABLE;
}

int
sm_flush(const struct conf *conf, const char *prog, const char *arg)
{
	struct qctl_req	 r;
	char		 err[512];
	int		 k;

	memset(&r, 0, sizeof(r));
	r.verb = QCTL_FLUSH;
	r.target = QCTL_ALL;
	if (arg[0] == 'R' && arg[1] != '\0') {
		r.target = QCTL_DOMAIN;
		if (strlcpy(r.domain, arg + 1, sizeof(r.domain)) >=
		    sizeof(r.domain)) {
			fprintf(stderr, "%s: -qR: site too long\n", prog);
			return EX_USAGE;
		}
	} else if (arg[0] == 'I' && arg[1] != '\0') {
		if (!queueid_valid(arg + 1)) {
			fprintf(stderr, "%s: -qI: not a queue ID\n", prog);
			return EX_USAGE;
		}
		r.target = QCTL_ID;
		(void)strlcpy(r.id, arg + 1, sizeof(r.id));
	} else if (arg[0] != '\0' && strspn(arg, "0123456789smhdw") !=
	    strlen(arg)) {
		fprintf(stderr, "%s: -q%s: not supported (-q, -qRsite, "
		    "-qIid)\n", prog, arg);
		return EX_USAGE;
	}
	k = qctl_run(conf_str(conf, "control_dir"), &r, NULL, NULL, err,
	    sizeof(err));
	if (k == 0)
		return EX_OK;
	fprintf(stderr, "%s: %s\n", prog, err);
	return k == 1 ? EX_NOPERM : EX_UNAVAILABLE;
}
