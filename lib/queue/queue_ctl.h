/*
 * queue_ctl: the protocol of queued's control socket, the one way the
 * queue tools (facteurctl queue, facteurctl explain, mailq, sendmail
 * -bp and -q) read the queue's state or change it.  The socket is
 * control_dir/queued, a SOCK_STREAM Unix socket that queued binds at
 * start, mode 0666: queued learns who connected from the socket itself
 * (SO_PEERCRED), never from the client, and answers root and the queue's
 * owner about every message, any other user about the messages it
 * submitted (the uid enqueue recorded) only.
 *
 * One request per connection, then the answer, then queued closes.
 * Frames are lib/ipc/chan.h's (netstrings of NUL-separated fields) on the
 * stream.  The request: three fields, VERB TARGET VALUE:
 *
 *   LIST    ALL ""         every message the caller may see
 *   SHOW    ID  <id>       one message: envelope, headers, jobs
 *   FLUSH   ALL "" | ID <id> | DOMAIN <domain>
 *   HOLD    ALL "" | ID <id>     (root and the queue owner only)
 *   RELEASE ALL "" | ID <id>     (root and the queue owner only)
 *   DELETE  ALL "" | ID <id>
 *   REQUEUE ALL "" | ID <id>     (root and the queue owner only)
 *
 * The answer: zero or more of
 *
 *   M id state arrival size sender uid origin   a message; state is
 *                                  active, deferred or hold (postqueue's
 *                                  queue_name)
 *   R rcpt orig status attempts next_try reason   one of its delivery
 *                                  jobs (LIST: the unfinished ones;
 *                                  SHOW: all); status a state file's
 *                                  letter (P, D, F, B, S, R)
 *   E rcpt notify orcpt            SHOW: an envelope recipient and its
 *                                  DSN parameters
 *   D ret envid held warned        SHOW: the message's DSN parameters,
 *                                  held since, delay warning sent at
 *   H text                         SHOW: a piece of the header section
 *
 * then exactly one of K <text> (done; the text says what was done) or
 * X <text> (refused or failed, and why).  A message the caller may not
 * see is answered as one that does not exist.
 *
 * Trust: queued trusts no request (the client is any local user): a
 * frame that is not exactly one request of this form ends the
 * connection; a client that says nothing within QCTL_DEADLINE_MS, or
 * reads its answer slower, is dropped.  A client trusts no answer: each
 * frame is checked here (qctl_recv) and by the caller before it shows
 * anything, and control bytes are never printed.
 */
#ifndef FACTEUR_QUEUE_CTL_H
#define FACTEUR_QUEUE_CTL_H
#include <stddef.h>

#include "chan.h"
#include "queueid.h"

#define QCTL_SOCKET_NAME	"queued"
#define QCTL_DEADLINE_MS	30000	/* one exchange, either side */
#define QCTL_CLIENTS_MAX	16	/* connections queued serves at once */
#define QCTL_DOMAIN_MAX		255
#define QCTL_HEADER_CHUNK	4000	/* octets of header per H frame */
#define QCTL_HEADER_MAX		(64 * 1024)	/* octets of header shown */

enum qctl_verb { QCTL_LIST, QCTL_SHOW, QCTL_FLUSH, QCTL_HOLD,
	QCTL_RELEASE, QCTL_DELETE, QCTL_REQUEUE };
enum qctl_target { QCTL_ALL, QCTL_ID, QCTL_DOMAIN };

struct qctl_req {
	int	 verb;			/* enum qctl_verb */
	int	 target;		/* enum qctl_target */
	char	 id[QUEUEID_LEN + 1];
	char	 domain[QCTL_DOMAIN_MAX + 1];	/* lower case */
};

/*
 * A request from the fields of one frame: 0, or -1 when it is not
 * exactly one of the forms above (the target each verb takes, a valid
 * queue ID, a domain of letters, digits, '-', '.' or an address literal).
 */
int		 qctl_req_parse(char *const *f, int nf, struct qctl_req *);
/* The three fields of r, to send (pointing into r or static text). */
void		 qctl_req_fields(const struct qctl_req *r, const char *f[3]);
const char	*qctl_verb_name(int verb);
/* 1 for a verb only root and the queue owner may use. */
int		 qctl_verb_admin(int verb);

/*
 * Client side: connects to control_dir/queued (non-blocking).  The
 * descriptor, or -1 with a reason in err.
 */
int		 qctl_connect(const char *control_dir, char *err, size_t n);
/* The socket's path; 0, or -1 when it does not fit. */
int		 qctl_path(const char *control_dir, char *out, size_t n);
/*
 * Sends the request and receives the answer's frames one at a time
 * before deadline (fd_now_ms time): 1 with a frame in m, 0 when queued
 * closed, -1 on a malformed frame, an error or the deadline.
 */
int		 qctl_send(struct chan *, const struct qctl_req *,
		    long long deadline);
int		 qctl_recv(struct chan *, struct chan_msg *, long long deadline);

#endif
