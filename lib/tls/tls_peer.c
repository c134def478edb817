/*
 * tls_peer: what the client side checks of a server's certificate beyond
 * the handshake itself: DANE (RFC 7672) from TLSA records, and the result
 * of the PKIX or DANE check (tls.h, enum tls_check).  OpenSSL's own DANE
 * code does the matching; this file feeds it and reads its verdict.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"
#include "tls_int.h"

int
tls_peer_dane(struct tls_conn *c, const struct tls_peer *peer, char *err,
    size_t errlen)
{
	size_t	 i;
	int	 usable = 0, r;

	if (peer->name == NULL || peer->name[0] == '\0') {
		tls_setmsg(err, errlen, "DANE without a TLSA base domain");
		return -1;
	}
	if (SSL_dane_enable(c->ssl, peer->name) <= 0) {
		tls_seterr(err, errlen, "TLS: DANE for %s", peer->name);
		return -1;
	}
	/* RFC 7672 3.1.1: a DANE-EE record names the key, not the host */
	(void)SSL_dane_set_flags(c->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < peer->ntlsa; i++) {
		const struct tls_tlsa *t = &peer->tlsa[i];

		if (t->usage != 2 && t->usage != 3)
			continue;
		r = SSL_dane_tlsa_add(c->ssl, t->usage, t->selector, t->mtype,
		    t->data, t->len);
		if (r < 0) {
			tls_seterr(err, errlen, "TLS: TLSA record for %s",
			    peer->name);
			return -1;
		}
		if (r > 0)
			usable++;
	}
	if (usable == 0) {
		tls_setmsg(err, errlen, "no usable TLSA record for %s",
		    peer->name);
		return -1;
	}
	return 0;
}

int
tls_peer_verified(const struct tls_conn *c, char *why, size_t n)
{
	long	 v;

	if (c->check == TLS_CHECK_NONE)
		return 1;
	v = SSL_get_verify_result(c->ssl);
	if (SSL_get0_peer_certificate(c->ssl) == NULL) {
		(void)snprintf(why, n, "the server sent no certificate");
		return 0;
	}
	if (v != X509_V_OK) {
		if (c->check == TLS_CHECK_DANE)
			(void)snprintf(why, n, "no TLSA record matched (%s)",
			    X509_verify_cert_error_string(v));
		else
			(void)snprintf(why, n, "%s",
			    X509_verify_cert_error_string(v));
		return 0;
	}
	if (c->check == TLS_CHECK_DANE &&
	    SSL_get0_dane_authority((SSL *)c->ssl, NULL, NULL) < 0) {
		(void)snprintf(why, n, "no TLSA record matched");
		return 0;
	}
	return 1;
}
