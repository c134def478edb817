/*
 * tls_int: what the files of the TLS layer (tls.c, tls_err.c, tls_ctx.c,
 * tls_server.c, tls_client.c, tls_ticket.c) share and no other module may
 * use: the structures behind the opaque types of tls.h and the helpers
 * between the files.
 *
 * Trust: private to lib/tls; see tls.c.
 */
#ifndef FACTEUR_TLS_INT_H
#define FACTEUR_TLS_INT_H
#include <stddef.h>
#include <openssl/ssl.h>

#define TLS_TICKET_NAME_LEN	16
#define TLS_TICKET_AES_LEN	32	/* AES-256-CBC */
#define TLS_TICKET_HMAC_LEN	32	/* HMAC-SHA256 */
#define TLS_TICKET_KEYS_MAX	2	/* current, previous */

struct tls_ticket_key {
	unsigned char	 name[TLS_TICKET_NAME_LEN];
	unsigned char	 aes[TLS_TICKET_AES_LEN];
	unsigned char	 hmac[TLS_TICKET_HMAC_LEN];
};

/* What tls_server_load read and tls_server_build uses (tls_server.c). */
struct tls_material;

struct tls_server {
	SSL_CTX			*ctx;		/* NULL until built */
	struct tls_material	*mat;		/* NULL once built */
	char			*failed;	/* why the build failed */
	int			 timeout_ms;	/* tls_handshake_timeout */
	size_t			 nkeys;		/* 0: OpenSSL's own keys */
	struct tls_ticket_key	 keys[TLS_TICKET_KEYS_MAX];
};

struct tls_client {
	SSL_CTX		*ctx;
	int		 verify;
	SSL_SESSION	*session;	/* the last one a server gave */
	char		*session_name;	/* the server name it came from */
};

struct tls_conn {
	SSL			*ssl;
	int			 fd_in, fd_out;
	int			 timeout_ms;	/* waits inside the transport */
	const struct lineio	*io;		/* when attached: its timeout */
	struct tls_client	*client;	/* NULL on the server side */
	char			*servername;	/* client side */
	int			 check;		/* client: enum tls_check */
	int			 failed;	/* fatal error: no close_notify */
};

/* The settings both sides share, taken from the configuration. */
struct tls_params {
	int	 minv, maxv;		/* tls_protocols */
	char	*ciphers;		/* tls_ciphers */
	char	*ciphersuites;		/* tls_ciphersuites */
	char	*curves;		/* tls_ecdh_curves */
};

/* err gets "what: OpenSSL's reason" (or just what); clears the error queue. */
void	tls_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* err gets the message alone, OpenSSL's queue ignored (and cleared). */
void	tls_setmsg(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

struct conf;

/*
 * Fills p from the tls_* keys, checked as far as can be without OpenSSL
 * (tls_protocols); 0, or -1 with the reason in err.  tls_params_free
 * frees what it holds.
 */
int	tls_params_get(struct tls_params *p, const struct conf *conf,
	    char *err, size_t errlen);
void	tls_params_free(struct tls_params *p);
/*
 * A server (server != 0) or client context with p's protocols, ciphers,
 * groups and options; NULL with the reason in err.
 */
SSL_CTX	*tls_ctx_new(const struct tls_params *p, int server, char *err,
	    size_t errlen);

/*
 * Reads the ticket key file into srv->keys (srv->nkeys); 0 also when the
 * file does not exist (nkeys stays 0), -1 with the reason in err.
 */
int	tls_ticket_keys_load(struct tls_server *, const char *path, char *err,
	    size_t errlen);
/* Installs the ticket callback on srv->ctx (srv->nkeys > 0). */
int	tls_ticket_keys_use(struct tls_server *);

struct tls_peer;
/*
 * Client side, before the handshake: DANE on c->ssl with peer's TLSA
 * records and base name (tls_peer.c); 0, or -1 with the reason in err.
 */
int	tls_peer_dane(struct tls_conn *c, const struct tls_peer *peer,
	    char *err, size_t errlen);

#endif
