/*
 * tls_ticket: session ticket keys shared by every per-connection process.
 *
 * A ticket is the session state encrypted (AES-256-CBC) and authenticated
 * (HMAC-SHA256) by the server under a key only servers know; the client
 * hands it back to resume.  Each connection is a new process, so the keys
 * must come from a file: the master writes it (tls_ticket_keys_write) at
 * start and on SIGHUP, and every context reads it (tls_ticket_keys_load).
 *
 * The file is binary and of fixed shape: the 8-byte magic "FTTKEYS1", then
 * one or two keys of 80 bytes each (a 16-byte name sent in the clear in
 * every ticket, the AES key, the HMAC key).  The first key is current: it
 * encrypts new tickets and decrypts.  The second is the previous current
 * key, kept so that tickets issued just before a rotation still resume;
 * such a ticket is decrypted and the client is given a new one (as after
 * every TLS 1.3 resumption, where tickets are single-use).  The file
 * must be a regular file that neither group nor others can read.
 *
 * The keys are secrets: every copy in memory is wiped after use, and
 * nothing about them but the file's name appears in a message.
 *
 * Trust: the key file is the master's (root's), written atomically; a
 * file of the wrong size is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "atomic.h"
#include "fdio.h"
#include "tls.h"
#include "tls_int.h"

#define TLS_TICKET_MAGIC	"FTTKEYS1"
#define TLS_TICKET_MAGIC_LEN	8
#define TLS_TICKET_KEY_LEN	(TLS_TICKET_NAME_LEN + TLS_TICKET_AES_LEN + \
				 TLS_TICKET_HMAC_LEN)
#define TLS_TICKET_FILE_MAX	(TLS_TICKET_MAGIC_LEN + \
				 TLS_TICKET_KEYS_MAX * TLS_TICKET_KEY_LEN)

static void
tls_ticket_unpack(struct tls_ticket_key *k, const unsigned char *p)
{
	memcpy(k->name, p, TLS_TICKET_NAME_LEN);
	p += TLS_TICKET_NAME_LEN;
	memcpy(k->aes, p, TLS_TICKET_AES_LEN);
	p += TLS_TICKET_AES_LEN;
	memcpy(k->hmac, p, TLS_TICKET_HMAC_LEN);
}

/*
 * Reads path into keys: 1 and *n set, 0 when the file does not exist,
 * -1 with the reason in err (and errno set).
 */
static int
tls_ticket_read(const char *path, struct tls_ticket_key *keys, size_t *n,
    char *err, size_t errlen)
{
	unsigned char	 data[TLS_TICKET_FILE_MAX + 1];
	struct stat	 st;
	ssize_t		 r;
	size_t		 i;
	int		 fd, saved;

	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		saved = errno;
		tls_setmsg(err, errlen, "tls_ticket_key_file %s: %s", path,
		    strerror(errno));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		tls_setmsg(err, errlen, "tls_ticket_key_file %s: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		(void)close(fd);
		tls_setmsg(err, errlen, "tls_ticket_key_file %s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "group or others may read it (mode must be 0600)");
		errno = EPERM;
		return -1;
	}
	r = fd_read_full(fd, data, sizeof(data));
	saved = errno;
	(void)close(fd);
	if (r == -1) {
		tls_setmsg(err, errlen, "tls_ticket_key_file %s: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	if ((r != TLS_TICKET_MAGIC_LEN + TLS_TICKET_KEY_LEN &&
	    r != TLS_TICKET_FILE_MAX) ||
	    memcmp(data, TLS_TICKET_MAGIC, TLS_TICKET_MAGIC_LEN) != 0) {
		explicit_bzero(data, sizeof(data));
		tls_setmsg(err, errlen, "tls_ticket_key_file %s: not a ticket "
		    "key file (rewrite it with the master's SIGHUP)", path);
		errno = EINVAL;
		return -1;
	}
	*n = ((size_t)r - TLS_TICKET_MAGIC_LEN) / TLS_TICKET_KEY_LEN;
	for (i = 0; i < *n; i++)
		tls_ticket_unpack(&keys[i], data + TLS_TICKET_MAGIC_LEN +
		    i * TLS_TICKET_KEY_LEN);
	explicit_bzero(data, sizeof(data));
	return 1;
}

int
tls_ticket_keys_load(struct tls_server *srv, const char *path, char *err,
    size_t errlen)
{
	srv->nkeys = 0;
	if (path[0] == '\0')
		return 0;
	if (tls_ticket_read(path, srv->keys, &srv->nkeys, err, errlen) == -1) {
		explicit_bzero(srv->keys, sizeof(srv->keys));
		srv->nkeys = 0;
		return -1;
	}
	return 0;
}

int
tls_ticket_keys_write(const char *path)
{
	struct tls_ticket_key	 old[TLS_TICKET_KEYS_MAX];
	unsigned char		 data[TLS_TICKET_FILE_MAX];
	unsigned char		*p;
	size_t			 nold = 0, len;
	int			 r, saved;

	/* A file that is missing or unusable is simply replaced. */
	if (tls_ticket_read(path, old, &nold, NULL, 0) != 1)
		nold = 0;
	memcpy(data, TLS_TICKET_MAGIC, TLS_TICKET_MAGIC_LEN);
	p = data + TLS_TICKET_MAGIC_LEN;
	if (RAND_priv_bytes(p, TLS_TICKET_KEY_LEN) != 1) {
		explicit_bzero(old, sizeof(old));
		explicit_bzero(data, sizeof(data));
		errno = EIO;
		return -1;
	}
	len = TLS_TICKET_MAGIC_LEN + TLS_TICKET_KEY_LEN;
	if (nold > 0) {
		p += TLS_TICKET_KEY_LEN;
		memcpy(p, old[0].name, TLS_TICKET_NAME_LEN);
		memcpy(p + TLS_TICKET_NAME_LEN, old[0].aes,
		    TLS_TICKET_AES_LEN);
		memcpy(p + TLS_TICKET_NAME_LEN + TLS_TICKET_AES_LEN,
		    old[0].hmac, TLS_TICKET_HMAC_LEN);
		len += TLS_TICKET_KEY_LEN;
	}
	r = atomic_write(path, data, len, 0600);
	saved = errno;
	explicit_bzero(old, sizeof(old));
	explicit_bzero(data, sizeof(data));
	errno = saved;
	return r;
}

/*
 * OpenSSL's ticket callback: enc = 1 to pick the key of a new ticket,
 * 0 to find the key a ticket names.  1: go on; 2: go on and issue a new
 * ticket (it was under the previous key); 0: unknown key, full handshake;
 * -1: failure.
 */
static int
tls_ticket_cb(SSL *ssl, unsigned char name[TLS_TICKET_NAME_LEN],
    unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	static char		 digest[] = "SHA256";
	struct tls_server	*srv;
	struct tls_ticket_key	*k;
	OSSL_PARAM		 params[3];
	const EVP_CIPHER	*cipher = EVP_aes_256_cbc();
	size_t			 i;
	int			 ivlen;

	srv = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (srv == NULL || srv->nkeys == 0)
		return -1;
	if (enc) {
		i = 0;
		k = &srv->keys[0];
		ivlen = EVP_CIPHER_get_iv_length(cipher);
		if (ivlen <= 0 || RAND_bytes(iv, ivlen) != 1)
			return -1;
		memcpy(name, k->name, TLS_TICKET_NAME_LEN);
		if (EVP_EncryptInit_ex(cctx, cipher, NULL, k->aes, iv) != 1)
			return -1;
	} else {
		for (i = 0; i < srv->nkeys; i++)
			if (memcmp(name, srv->keys[i].name,
			    TLS_TICKET_NAME_LEN) == 0)
				break;
		if (i == srv->nkeys)
			return 0;
		k = &srv->keys[i];
		if (EVP_DecryptInit_ex(cctx, cipher, NULL, k->aes, iv) != 1)
			return -1;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k->hmac, TLS_TICKET_HMAC_LEN);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	/*
	 * TLS 1.3 tickets are single-use (RFC 8446 C.4: clients do not offer
	 * one twice) and OpenSSL sends none after a resumption unless asked:
	 * always ask, or every other connection would be a full handshake.
	 */
	if (i != 0 || (!enc && SSL_version(ssl) == TLS1_3_VERSION))
		return 2;
	return 1;
}

int
tls_ticket_keys_use(struct tls_server *srv)
{
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(srv->ctx, tls_ticket_cb) != 1)
		return -1;
	return 0;
}
