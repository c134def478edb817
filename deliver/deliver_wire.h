/*
 * deliver_wire: the frames between lspawn (root) and its delivery
 * workers (each running as one recipient, deliver/lspawn_worker.c), over
 * a SOCK_SEQPACKET channel (lib/ipc/chan.h), payload at most
 * DELIVER_WIRE_MAX octets:
 *
 *   job     J, queue id, sender, recipient, maildir, check
 *                                                     + the message's fd
 *           (check: "1" when an earlier attempt's result was lost, so
 *           that the worker looks for the message in the Maildir first;
 *           "0" otherwise)
 *   result  R, K|Z|D, text
 *
 * This file gives the fields of each and checks the fields received.
 * The worker trusts lspawn (deliver_maildir checks the values again all
 * the same); lspawn does not trust the worker: a result that is not
 * exactly three fields, R, one status letter and 1 to DELIVER_TEXT_MAX
 * printable octets is refused, and the worker is killed.
 */
#ifndef FACTEUR_DELIVER_WIRE_H
#define FACTEUR_DELIVER_WIRE_H
#include <stddef.h>

#include "deliver_maildir.h"

#define DELIVER_WIRE_MAX	8192	/* octets of a frame's payload */
#define DELIVER_JOB_FIELDS	6
#define DELIVER_RESULT_FIELDS	3

/*
 * The fields of the job frame for d, pointing into d.  0, or -1 with
 * errno EINVAL (a value missing).
 */
int	deliver_job_fields(const struct delivery *d,
	    const char *f[DELIVER_JOB_FIELDS]);
/* Checks a job's fields: 0 with d's pointers into f, or -1 (EBADMSG). */
int	deliver_job_decode(char *const *f, int nf, struct delivery *d);

/*
 * The fields of a result: status K, Z or D and one line of text (st
 * holds the status as a string).  0, or -1 with EINVAL.
 */
int	deliver_result_fields(char status, const char *text, char st[2],
	    const char *f[DELIVER_RESULT_FIELDS]);
/* 0 with *status and *text (pointing into f), or -1 with EBADMSG. */
int	deliver_result_decode(char *const *f, int nf, char *status,
	    const char **text);
/*
 * lspawn's verdict on what it received from a worker: r is chan_recv's
 * answer (errno_r its errno when -1), m the frame, busy 1 when the worker
 * has a job.  WIRE_RESULT: the job's result, *status and *text set;
 * WIRE_END: the worker is exiting or dead (end of file, an error of the
 * socket), it is retired and its job reported when it is reaped;
 * WIRE_KILL: a malformed frame, a descriptor, anything while it has no
 * job: the worker is killed and its job, if any, deferred.
 */
enum deliver_wire_verdict { WIRE_RESULT, WIRE_END, WIRE_KILL };
enum deliver_wire_verdict deliver_result_take(int r, int errno_r,
	    char *const *f, int nf, int nfds, int busy, char *status,
	    const char **text);
/* K for DELIVER_OK, D for DELIVER_PERM, Z for anything else. */
char	deliver_status(int code);

#endif
