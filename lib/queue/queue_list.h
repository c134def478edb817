/*
 * queue_list: the client's side of queued's answers (lib/queue/queue_ctl.h):
 * its M and R frames checked and parsed, and the queue listing printed
 * as Postfix's mailq prints it or as postqueue -j does (one JSON object
 * per message), for facteurctl queue list, mailq and sendmail -bp.
 *
 * mailq's form:
 *
 *   -Queue ID-      --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   01JABCDEFGHJKM*      384 Mon Dec  7 10:11:12  alice@example.org
 *   (4.2.2 mailbox full)
 *                                                 bob@example.net
 *
 *   -- 1 Kbytes in 1 Request.
 *
 * with '*' after the ID of a message being delivered (active), '!' after
 * one on hold, and before each waiting recipient the reason of its last
 * attempt, in parentheses; "Mail queue is empty" when it is.
 *
 * Trust: queued's answer is checked field by field (an ID is a queue ID,
 * numbers are numbers, a state one of three words); every text is
 * printed with its control bytes as '?', and JSON strings are escaped,
 * with invalid UTF-8 as U+FFFD.
 */
#ifndef FACTEUR_QUEUE_LIST_H
#define FACTEUR_QUEUE_LIST_H
#include <stdio.h>

#include "chan.h"
#include "queue_ctl.h"
#include "queue_env.h"
#include "queue_state.h"
#include "queueid.h"

struct qlist_msg {
	char		 id[QUEUEID_LEN + 1];
	char		 state[16];	/* active, deferred, hold */
	long long	 arrival, size, uid;
	char		 sender[QUEUE_ADDR_MAX + 1];
	char		 origin[16];	/* smtp, local, bounce or "" */
};

struct qlist_job {
	char		 rcpt[QUEUE_ADDR_MAX + 1];
	char		 orig[QUEUE_ADDR_MAX + 1];
	int		 status;	/* enum queue_job_status */
	unsigned	 attempts;
	long long	 next_try;
	char		 reason[QUEUE_REASON_MAX + 1];
};

/* An M frame, an R frame: 0, or -1 when it is not well formed. */
int	qlist_msg_parse(const struct chan_msg *, struct qlist_msg *);
int	qlist_job_parse(const struct chan_msg *, struct qlist_job *);
/* s with each control byte as '?', into out (n octets). */
void	qlist_safe(const char *s, char *out, size_t n);
/*
 * A reason as mailq and postqueue -j show it, as Postfix's do: without
 * the enhanced status code it starts with ("4.2.2 mailbox full" ->
 * "mailbox full"; a reason without one as it is).
 */
const char *qlist_reason_text(const char *reason);
/* s as a JSON string, quotes included, appended to out. */
int	qlist_json_string(struct buf *out, const char *s);

/*
 * Asks queued at control_dir for the listing and prints it to out, in
 * mailq's form or as JSON lines.  0 when done; 1 when queued refused
 * (its reason in err); -1 when queued could not be reached or answered
 * wrongly (err says so).
 */
int	qlist_print(const char *control_dir, int json, FILE *out, char *err,
	    size_t n);
/*
 * Runs one request at control_dir and calls cb for every frame before
 * the last (cb returns 0, or -1 to stop: a malformed frame); the last
 * frame's text goes into err.  0 (K), 1 (X), -1 (no answer, err says why).
 */
int	qctl_run(const char *control_dir, const struct qctl_req *,
	    int (*cb)(void *, const struct chan_msg *), void *arg, char *err,
	    size_t n);

#endif
