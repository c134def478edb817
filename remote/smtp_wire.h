/*
 * smtp_wire: what rspawn tells an SMTP client process about a request
 * beyond the request itself (lib/queue/remote_job.h, which goes first,
 * with the message's descriptor): the hosts to try, in order, each with
 * its TLS level and, for DANE, its TLSA records; then "go".  One
 * lib/ipc/chan.h frame each (SOCK_SEQPACKET):
 *
 *   host   H, name, address, port, TLS level (lib/smtp/smtp_policy.h)
 *   tlsa   A, usage, selector, matching type, data in hex (the host before)
 *   go     G
 *
 * and from the client, besides the result and end frames of
 * remote_job.h (slot 0):
 *
 *   log    L, one printable line for rspawn to log
 *
 * rspawn builds the host frames and the client trusts them; the client
 * is not trusted: rspawn checks its frames with remote_job.c and
 * smtp_log_decode.
 */
#ifndef FACTEUR_SMTP_WIRE_H
#define FACTEUR_SMTP_WIRE_H
#include <stddef.h>

#include "chan.h"
#include "smtp_client.h"

#define SMTP_LOG_MAX	1000	/* octets of a log line from a client */

/* The fields of a host or TLSA frame, ready for chan_send (5 of them). */
struct smtp_wire_fields {
	const char	*f[5];
	char		 num[3][8];
	char		 hex[2 * DNS_TLSA_DATA_MAX + 1];
};

/* 0, or -1 (EINVAL). */
int	smtp_host_fields(const struct smtp_host *, struct smtp_wire_fields *);
/* 0, or -1 (EBADMSG); h->tlsa untouched, h->ntlsa set to 0. */
int	smtp_host_decode(const struct chan_msg *, struct smtp_host *h);
int	smtp_tlsa_fields(unsigned usage, unsigned selector, unsigned mtype,
	    const unsigned char *data, size_t dlen, struct smtp_wire_fields *);
/* Decodes into t, the data into data (cap octets): 0 or -1. */
int	smtp_tlsa_decode(const struct chan_msg *, struct tls_tlsa *t,
	    unsigned char *data, size_t cap);
/* A log frame: 0 with *text (into the frame), or -1. */
int	smtp_log_decode(const struct chan_msg *, const char **text);

#endif
