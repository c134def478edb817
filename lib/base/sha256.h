/*
 * sha256: SHA-256 (FIPS 180-4) in plain C, for the few digests that must
 * not pull in libcrypto: pop3session's UIDLs of names unfit for UIDL
 * (lib/maildir_list) are the same digests OpenSSL gave before, so clients
 * see no UIDL change.  Not for secrets: no wiping, no constant time.
 *
 * Trust: see sha256.c.
 */
#ifndef FACTEUR_SHA256_H
#define FACTEUR_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 total;		/* bytes hashed */
	unsigned char	 block[64];
	size_t		 used;		/* bytes in block */
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, unsigned char out[SHA256_LEN]);
/* The digest of one buffer. */
void	sha256(const void *, size_t, unsigned char out[SHA256_LEN]);

#endif
