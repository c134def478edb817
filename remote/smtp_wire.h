/*
 * smtp_wire: what rspawn tells an SMTP client process about a request
 * beyond the request itself (lib/queue/remote_job.h, which goes first,
 * with the message's descriptor): the hosts to try, in order, each with
 * its TLS level and, for DANE, its TLSA records; then "go".  One
 * SOCK_SEQPACKET packet each, fields separated by NUL:
 *
 *   host   H, name, address, port, TLS level (lib/smtp/smtp_policy.h)
 *   tlsa   A, usage, selector, matching type, data in hex (the host before)
 *   go     G
 *
 * and from the client, besides the result and end packets of
 * remote_job.h (slot 0):
 *
 *   log    L, one printable line for rspawn to log
 *
 * rspawn builds the host packets and the client trusts them; the client
 * is not trusted: rspawn checks its packets with remote_job.c and
 * smtp_log_decode.
 */
#ifndef FACTEUR_SMTP_WIRE_H
#define FACTEUR_SMTP_WIRE_H
#include <stddef.h>

#include "smtp_client.h"

#define SMTP_LOG_MAX	1000	/* octets of a log line from a client */

int	smtp_host_encode(const struct smtp_host *, char *buf, size_t cap,
	    size_t *len);
/* 0, or -1 (EBADMSG); h->tlsa untouched. */
int	smtp_host_decode(char *buf, size_t len, struct smtp_host *h);
int	smtp_tlsa_encode(unsigned usage, unsigned selector, unsigned mtype,
	    const unsigned char *data, size_t dlen, char *buf, size_t cap,
	    size_t *len);
/* Decodes into t, the data into data (cap octets): 0 or -1. */
int	smtp_tlsa_decode(char *buf, size_t len, struct tls_tlsa *t,
	    unsigned char *data, size_t cap);
/* A log packet: 0 with *text (into buf), or -1. */
int	smtp_log_decode(char *buf, size_t len, const char **text);

#endif
