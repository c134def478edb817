/*
 * passwd_check: does a password match a user?  users_file entries carry a
 * Dovecot-style `{SCHEME}hash`, checked with crypt(3) of libxcrypt:
 *
 *	{YESCRYPT}	$y$...		{BLF-CRYPT}	$2b$ / $2y$ / $2a$...
 *	{SHA512-CRYPT}	$6$...		{SHA256-CRYPT}	$5$...
 *	{CRYPT}		any hash crypt(3) knows (legacy ones are logged)
 *	{PLAIN}		clear text, only when auth_allow_plain_hashes = yes
 *
 * The scheme name is matched ASCII case-insensitively and must agree with
 * the hash ({SHA512-CRYPT}$y$... is refused).  Any other scheme, a missing
 * one, or a locked entry ("!", "*", empty) is refused and logged.
 * System accounts (user_entry.system) are checked by PAM, service
 * auth_pam_service, when facteur is built with HAVE_PAM; without PAM they
 * cannot log in.  Comparisons run in constant time.  Nothing here logs or
 * keeps a password.
 *
 * Trust: see passwd_check.c.
 */
#ifndef FACTEUR_PASSWD_CHECK_H
#define FACTEUR_PASSWD_CHECK_H
#include <stddef.h>

#include "conf.h"
#include "users.h"

/* bytes in a password: crypt(3)'s CRYPT_MAX_PASSPHRASE_SIZE - 1, and
 * PAM's PAM_MAX_RESP_SIZE - 1; a longer one never matches */
#define PASSWD_MAX	511
#define PASSWD_HASH_MAX	512	/* bytes in `{SCHEME}hash`, as user_entry */

enum passwd_result {
	PASSWD_OK,		/* the password is right */
	PASSWD_MISMATCH,	/* the password is wrong */
	PASSWD_REFUSED,		/* the entry cannot log in (logged) */
	PASSWD_TEMP		/* could not check now (logged) */
};

/*
 * Checks password for entry e.  client_addr is given to PAM (PAM_RHOST)
 * and used in log lines; it may be NULL.
 */
enum passwd_result passwd_verify(const struct conf *,
		    const struct user_entry *e, const char *password,
		    const char *client_addr);
/*
 * Spends the time of one password check without a user, so that an
 * unknown user costs what a known one does.
 */
void		 passwd_verify_dummy(const char *password);
/*
 * NULL when stored (a users_file password field) is one passwd_verify
 * can check, else a short text saying why not (for facteurctl check).
 */
const char	*passwd_scheme_problem(const char *stored, int allow_plain);
/*
 * Writes `{SCHEME}hash` of password for scheme "yescrypt" (also NULL),
 * "sha512", "sha256" or "bcrypt", with a fresh random salt and the
 * default cost.  0, or -1 (unknown scheme, errno EINVAL; or crypt failed).
 */
int		 passwd_hash(const char *scheme, const char *password,
		    char *out, size_t outsize);

#endif
