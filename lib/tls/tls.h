/*
 * tls: the OpenSSL 3 layer under every network program: a server context
 * built from facteur.conf, per-connection handshakes with a deadline, a
 * lineio transport so that protocol code reads and writes lines the same
 * way over TLS as in plaintext, STARTTLS, and a client side for the remote
 * delivery and the tests.
 *
 * Lifetimes.  The certificate, the key and the ticket keys are read at
 * start (tls_server_load), before the program chroots and drops
 * privileges: the key file is 0600 root.  The OpenSSL context is built
 * from those bytes (tls_server_build) then or later, at the first
 * handshake, which opens no file and so works in the chroot: a server
 * whose clients mostly never ask for TLS pays for OpenSSL only when one
 * does.  tls_server_new does both at once.  Per-connection programs
 * (smtpd, pop3d, imapd) load fresh at each start, so after the master is
 * sent SIGHUP, a new certificate or key applies to new sessions while the
 * running ones keep theirs.  OpenSSL is initialised without openssl.cnf
 * (it would not be there in a chroot): everything comes from facteur.conf.
 *
 * Resumption.  Each connection is a new process, so a server-side session
 * cache would never be hit; resumption uses session tickets only, which
 * need the ticket keys to be the same in every process: the master writes
 * tls_ticket_key_file with tls_ticket_keys_write() at start and on SIGHUP
 * (a new key, the previous one kept to decrypt tickets issued just before),
 * and each context reads it.  Without the file every process has keys of
 * its own and nothing resumes across connections.
 *
 * Descriptors.  A connection runs over fd_in and fd_out, which may be one
 * socket or (inetd) two descriptors; they are made non-blocking (and left
 * so), and every wait is a poll() bounded by a timeout.  Writes to a
 * socket never raise SIGPIPE (to a pipe they can: ignore the signal).  A
 * handshake opens no file, so it works after chroot.
 *
 * Errors go into a caller's buffer (err, errlen) with the reason in words,
 * OpenSSL's reason appended when it has one; nothing here logs, and no
 * secret is ever put in a message.
 *
 * Trust: see tls.c.
 */
#ifndef FACTEUR_TLS_H
#define FACTEUR_TLS_H
#include <stddef.h>

struct conf;
struct lineio;
struct line_transport;

struct tls_server;
struct tls_client;
struct tls_conn;

/*
 * Server context from the tls_* keys.  NULL with the reason in err: a key
 * not set, a file missing or unreadable, a key that does not match the
 * certificate, a word of tls_protocols that is not a TLS version, an
 * unknown cipher or group, a malformed ticket key file.
 */
struct tls_server *tls_server_new(const struct conf *, char *err,
		    size_t errlen);
/*
 * The first half of tls_server_new, which touches no OpenSSL state: checks
 * the tls_* keys that can be checked without OpenSSL (tls_protocols) and
 * reads tls_cert_file, tls_key_file, tls_dhparam_file (if set) and, with
 * tickets on, tls_ticket_key_file (if it exists) into memory, each a
 * regular file of at most 1 MB.  NULL with the reason in err: a key not
 * set, a file missing, unreadable or too large, a bad tls_protocols, a
 * malformed ticket key file.
 */
struct tls_server *tls_server_load(const struct conf *, char *err,
		    size_t errlen);
/*
 * The second half: builds the context from the bytes read by
 * tls_server_load, without opening a file, then wipes and frees them.  0
 * (also when already built), or -1 with the reason in err: a bad PEM, a
 * key that does not match the certificate, a cipher list that leaves a
 * version without a cipher, an unknown group.  After a failure the bytes
 * are gone and every later call fails with the same reason.  tls_accept
 * and tls_starttls call it themselves.
 */
int		 tls_server_build(struct tls_server *, char *err,
		    size_t errlen);
void		 tls_server_free(struct tls_server *);
/* tls_handshake_timeout in milliseconds. */
int		 tls_server_timeout_ms(const struct tls_server *);

/*
 * Creates or rotates the ticket key file at path, atomically, mode 0600:
 * a fresh random key becomes the current one (it encrypts and decrypts)
 * and the file's current key, when it had a valid one, is kept as the
 * second, decrypt-only key.  0, or -1 with errno.
 */
int		 tls_ticket_keys_write(const char *path);

/*
 * Server handshake on fd_in/fd_out, done within timeout_ms (<0: no limit),
 * after tls_server_build when the context is not built yet.  NULL with the
 * reason in err (context not built, timeout, peer closed, protocol
 * refused...).
 */
struct tls_conn	*tls_accept(struct tls_server *, int fd_in, int fd_out,
		    int timeout_ms, char *err, size_t errlen);

/*
 * Client context: same protocols, ciphers and groups as the server.  With
 * verify, servers must present a chain to tls_ca_file (or the system store
 * when that is empty) whose names match the name given to tls_connect.
 * The client keeps the last session it was given and offers it again to
 * the same server name.
 */
struct tls_client *tls_client_new(const struct conf *, int verify, char *err,
		    size_t errlen);
void		 tls_client_free(struct tls_client *);
/* servername: for SNI and the name check; NULL or an IP skips SNI. */
struct tls_conn	*tls_connect(struct tls_client *, int fd,
		    const char *servername, int timeout_ms, char *err,
		    size_t errlen);

/*
 * What a client checks of a server's certificate (the remote delivery's
 * verify and dane levels).  TLS_CHECK_PKIX: a chain to the CA store
 * (tls_ca_file or the system's) whose names match peer->name (a host
 * name, or an IP address).  TLS_CHECK_DANE (RFC 7672): one of the TLSA
 * records matches the chain, with peer->name as the TLSA base domain;
 * DANE-EE(3) records match the server's own key or certificate without a
 * name check, DANE-TA(2) records a trust anchor in the chain with the
 * name checked.  The caller passes only records of usage 2 or 3: RFC 7672
 * makes PKIX-TA(0) and PKIX-EE(1) unusable for SMTP.  The handshake never
 * fails because of a check: the result is asked with tls_peer_verified,
 * so that the reason can be logged, and a connection whose check failed
 * must then be dropped.  With a check, no session is resumed.
 */
enum tls_check { TLS_CHECK_NONE, TLS_CHECK_PKIX, TLS_CHECK_DANE };

struct tls_tlsa {
	unsigned char		 usage, selector, mtype;
	const unsigned char	*data;
	size_t			 len;
};

struct tls_peer {
	const char		*name;	/* SNI and reference name; NULL: none */
	enum tls_check		 check;
	const struct tls_tlsa	*tlsa;	/* TLS_CHECK_DANE */
	size_t			 ntlsa;
};

/* tls_connect with a peer check; see above. */
struct tls_conn	*tls_connect_peer(struct tls_client *, int fd,
		    const struct tls_peer *, int timeout_ms, char *err,
		    size_t errlen);
/*
 * After tls_connect_peer: 1 when the server passed the check asked for
 * (always with TLS_CHECK_NONE), else 0 with the reason in why ("certificate
 * has expired", "no TLSA record matched", ...).
 */
int		 tls_peer_verified(const struct tls_conn *, char *why,
		    size_t n);

/* "TLS1.3", "TLS1.2", ...: the negotiated version. */
const char	*tls_version(const struct tls_conn *);
/* "TLS_AES_256_GCM_SHA384": the negotiated cipher. */
const char	*tls_cipher(const struct tls_conn *);
/* Secret bits of the cipher; *alg_bits (if not NULL) its algorithm bits. */
int		 tls_cipher_bits(const struct tls_conn *, int *alg_bits);
/* "TLS1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"; -1 if cut. */
int		 tls_describe(const struct tls_conn *, char *, size_t);
int		 tls_session_reused(const struct tls_conn *);
/* Timeout of the waits the transport does itself (see tls_transport). */
void		 tls_set_timeout(struct tls_conn *, int timeout_ms);
/* Sends close_notify (without waiting for the peer's) and frees. */
void		 tls_close(struct tls_conn *);

/*
 * Fills tr so that a lineio reads and writes through the connection: read
 * and write return -1 with EAGAIN when OpenSSL waits for the descriptor
 * lineio polls next (fd_in for reads, fd_out for writes); when a read
 * must first write or a write first read, the transport waits for that
 * itself, bounded by the connection's timeout (tls_set_timeout), and a
 * wait that runs out is -1 with ETIMEDOUT.  pending is SSL_pending().
 */
void		 tls_transport(struct tls_conn *, struct line_transport *);
/*
 * tls_transport and lineio_set_transport in one step, the transport's own
 * waits ending when l's would (lineio_wait_deadline: the line's end, the
 * timeout, the deadline), even when the caller changes them.  l must
 * outlive the connection's use.
 */
void		 tls_attach(struct lineio *, struct tls_conn *);

/*
 * STARTTLS, called right after the server queued its "ready to start TLS"
 * reply: builds the context if need be, flushes that reply, discards every
 * byte of plaintext input already buffered (commands pipelined behind
 * STARTTLS are never executed), handshakes within tls_handshake_timeout
 * (and by the deadline of l, lineio_set_deadline),
 * and attaches the connection to l.  0 with *conn set, or -1 with the
 * reason in err (the session must end: the descriptors are in an unknown
 * state).  A server that would rather answer 454 when the context cannot
 * be built calls tls_server_build before it queues its reply.
 */
int		 tls_starttls(struct lineio *, struct tls_server *,
		    struct tls_conn **, char *err, size_t errlen);

#endif
