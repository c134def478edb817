/*
 * deliver_wire: the packets between lspawn (root) and its delivery
 * workers (each running as one recipient, deliver/lspawn_worker.c), one
 * SOCK_SEQPACKET packet each (lib/ipc/fdpass.h), fields separated by NUL:
 *
 *   job     J, queue id, sender, recipient, maildir   + the message's fd
 *   result  R, K|Z|D, text
 *
 * The worker trusts lspawn (deliver_maildir checks the values again all
 * the same); lspawn does not trust the worker: a result that is not
 * exactly three fields, R, one status letter and 1 to DELIVER_TEXT_MAX
 * printable octets is refused, and the worker is killed.
 */
#ifndef FACTEUR_DELIVER_WIRE_H
#define FACTEUR_DELIVER_WIRE_H
#include <stddef.h>

#include "deliver_maildir.h"

#define DELIVER_WIRE_MAX	8192	/* octets of one packet */

/*
 * Puts the job packet for d into buf (cap octets); *len gets its length.
 * 0, or -1 with errno EMSGSIZE (too long for cap or DELIVER_WIRE_MAX) or
 * EINVAL (a value missing).
 */
int	deliver_job_encode(const struct delivery *d, char *buf, size_t cap,
	    size_t *len);
/*
 * Splits a job packet of len octets (buf holds len + 1, NUL-terminated,
 * as fdpass_recv_max leaves it) in place: d's pointers point into buf.
 * 0, or -1 with errno EBADMSG.
 */
int	deliver_job_decode(char *buf, size_t len, struct delivery *d);

/* The result packet: status K, Z or D and one line of text. */
int	deliver_result_encode(char status, const char *text, char *buf,
	    size_t cap, size_t *len);
/* 0 with *status and *text (pointing into buf), or -1 with EBADMSG. */
int	deliver_result_decode(char *buf, size_t len, char *status,
	    const char **text);
/* K for DELIVER_OK, D for DELIVER_PERM, Z for anything else. */
char	deliver_status(int code);

#endif
