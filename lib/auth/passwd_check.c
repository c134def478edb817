/*
 * passwd_check: checks a password against a users_file hash with crypt(3)
 * (libxcrypt) or, for system accounts, against PAM.  Called only by the
 * root monitors (smtpd's, pop3d's and imapd's), never by a process that
 * reads from the network.  Buffers that held a password or a computed
 * hash are wiped before they are freed or go out of scope.
 *
 * Trust: the password is the client's (bounded, wiped); the hash comes
 * from the users table, which root owns; PAM is trusted.
 */
#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#ifdef HAVE_PAM
#include <security/pam_appl.h>
#endif

#include "log.h"
#include "passwd_check.h"

struct passwd_scheme {
	const char	*name;		/* with its braces */
	const char	*prefixes[3];	/* the hash must start with one */
	const char	*gensalt;	/* for passwd_hash; NULL: not made */
	const char	*alias;		/* passwd_hash's name for it */
	unsigned long	 cost;		/* for passwd_hash; 0: crypt's own */
};

static const struct passwd_scheme passwd_schemes[] = {
	{ "{YESCRYPT}",	    { "$y$", NULL, NULL }, "$y$", "yescrypt", 0 },
	{ "{SHA512-CRYPT}", { "$6$", NULL, NULL }, "$6$", "sha512", 0 },
	{ "{SHA256-CRYPT}", { "$5$", NULL, NULL }, "$5$", "sha256", 0 },
	/* libxcrypt's own bcrypt cost is 5, too cheap today */
	{ "{BLF-CRYPT}",    { "$2b$", "$2y$", "$2a$" }, "$2b$", "bcrypt", 10 },
	{ "{CRYPT}",	    { NULL, NULL, NULL }, NULL, NULL, 0 },
	{ "{PLAIN}",	    { NULL, NULL, NULL }, NULL, NULL, 0 },
	{ NULL,		    { NULL, NULL, NULL }, NULL, NULL, 0 }
};

/* The scheme of stored and, in *hash, what follows it; NULL if none. */
static const struct passwd_scheme *
passwd_scheme_find(const char *stored, const char **hash)
{
	const struct passwd_scheme	*s;
	size_t				 n;

	for (s = passwd_schemes; s->name != NULL; s++) {
		n = strlen(s->name);
		if (strncasecmp(stored, s->name, n) == 0) {
			*hash = stored + n;
			return s;
		}
	}
	return NULL;
}

const char *
passwd_scheme_problem(const char *stored, int allow_plain)
{
	const struct passwd_scheme	*s;
	const char			*hash;
	size_t				 i;
	int				 r;

	if (stored[0] == '\0' || strcmp(stored, "!") == 0 ||
	    strcmp(stored, "*") == 0)
		return "no password (locked)";
	if (stored[0] != '{')
		return "password has no {SCHEME} prefix";
	if ((s = passwd_scheme_find(stored, &hash)) == NULL)
		return "unknown password scheme (use {YESCRYPT}, "
		    "{SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT} or {CRYPT})";
	if (hash[0] == '\0')
		return "no password after the {SCHEME} (locked)";
	if (strcmp(s->name, "{PLAIN}") == 0)
		return allow_plain ? NULL : "{PLAIN} password while "
		    "auth_allow_plain_hashes is no";
	if (s->prefixes[0] != NULL) {
		for (i = 0; i < 3 && s->prefixes[i] != NULL; i++)
			if (strncmp(hash, s->prefixes[i],
			    strlen(s->prefixes[i])) == 0)
				break;
		if (i == 3 || s->prefixes[i] == NULL)
			return "hash does not match its {SCHEME}";
	}
	r = crypt_checksalt(hash);
	if (r != CRYPT_SALT_OK && r != CRYPT_SALT_METHOD_LEGACY &&
	    r != CRYPT_SALT_TOO_CHEAP)
		return "malformed or unsupported crypt(3) hash";
	return NULL;
}

/* 1 when a equals b, in time that depends on neither. */
static int
passwd_equal(const char *a, const char *b)
{
	unsigned char	da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int	la = 0, lb = 0;
	int		eq;

	/* Digests first, so that the lengths do not show either. */
	if (EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL) != 1 ||
	    la != lb)
		eq = 0;
	else
		eq = CRYPTO_memcmp(da, db, la) == 0;
	explicit_bzero(da, sizeof(da));
	explicit_bzero(db, sizeof(db));
	return eq;
}

/*
 * crypt(3) of password with setting hash: 1 match, 0 not, -1 temporary
 * error, -2 when crypt cannot read the hash.
 */
static int
passwd_crypt_match(const char *password, const char *hash)
{
	struct crypt_data	*cd;
	const char		*out;
	int			 r;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	errno = 0;
	out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	if (out == NULL)
		/* ERANGE: a password over CRYPT_MAX_PASSPHRASE_SIZE. */
		r = errno == ENOMEM ? -1 : errno == ERANGE ? 0 : -2;
	else
		r = passwd_equal(out, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

#ifdef HAVE_PAM
/* Answers PAM's password prompts with the one password we were given. */
static int
passwd_pam_conv(int n, const struct pam_message **msg,
    struct pam_response **resp, void *arg)
{
	const char		*password = arg;
	struct pam_response	*r;
	int			 i, j;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if ((r[i].resp = strdup(password)) == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			log_debug("auth: PAM says: %s", msg[i]->msg);
			break;
		default:	/* a question only a person could answer */
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (j = 0; j < n; j++)
		if (r[j].resp != NULL) {
			explicit_bzero(r[j].resp, strlen(r[j].resp));
			free(r[j].resp);
		}
	free(r);
	return PAM_CONV_ERR;
}

/* Our own delay policy applies (lib/auth), not pam_unix's 2 seconds. */
static void
passwd_pam_nodelay(int retval, unsigned usec, void *arg)
{
	(void)retval;
	(void)usec;
	(void)arg;
}

static enum passwd_result
passwd_pam_result(int rv)
{
	switch (rv) {
	case PAM_SUCCESS:
		return PASSWD_OK;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
	case PAM_CRED_INSUFFICIENT:
	case PAM_PERM_DENIED:
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_AUTHTOK_EXPIRED:
		return PASSWD_MISMATCH;
	default:
		return PASSWD_TEMP;
	}
}

static enum passwd_result
passwd_pam(const struct conf *conf, const struct user_entry *e,
    const char *password, const char *client_addr)
{
	struct pam_conv		 conv = { passwd_pam_conv, NULL };
	pam_handle_t		*h = NULL;
	const char		*service = conf_str(conf, "auth_pam_service");
	void			(*nodelay)(int, unsigned, void *) =
				    passwd_pam_nodelay;
	enum passwd_result	 res;
	int			 rv;

	conv.appdata_ptr = (void *)(uintptr_t)password;
	if ((rv = pam_start(service, e->name, &conv, &h)) != PAM_SUCCESS) {
		log_warnx("auth: PAM service %s: cannot start: %s", service,
		    pam_strerror(h, rv));
		return PASSWD_TEMP;
	}
	if (client_addr != NULL &&
	    (rv = pam_set_item(h, PAM_RHOST, client_addr)) != PAM_SUCCESS)
		goto done;
	if ((rv = pam_set_item(h, PAM_FAIL_DELAY, (const void *)nodelay)) !=
	    PAM_SUCCESS)
		goto done;
	rv = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rv == PAM_SUCCESS)
		rv = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
done:
	res = passwd_pam_result(rv);
	if (rv == PAM_NEW_AUTHTOK_REQD || rv == PAM_ACCT_EXPIRED ||
	    rv == PAM_AUTHTOK_EXPIRED)
		log_info("auth: user=<%s>: PAM: %s", e->name,
		    pam_strerror(h, rv));
	else if (res == PASSWD_TEMP)
		log_warnx("auth: user=<%s>: PAM service %s: %s", e->name,
		    service, pam_strerror(h, rv));
	if ((rv = pam_end(h, rv)) != PAM_SUCCESS)
		log_warnx("auth: PAM: pam_end failed (%d)", rv);
	return res;
}
#endif /* HAVE_PAM */

enum passwd_result
passwd_verify(const struct conf *conf, const struct user_entry *e,
    const char *password, const char *client_addr)
{
	const struct passwd_scheme	*s;
	const char			*hash, *why;
	int				 allow_plain, r;

	/* Too long for crypt(3) and PAM, or empty: never right. */
	if (strnlen(password, PASSWD_MAX + 1) > PASSWD_MAX ||
	    password[0] == '\0') {
		passwd_verify_dummy("");
		return PASSWD_MISMATCH;
	}
	if (e->system) {
#ifdef HAVE_PAM
		return passwd_pam(conf, e, password, client_addr);
#else
		(void)client_addr;
		passwd_verify_dummy(password);
		log_warnx("auth: user=<%s>: a system account, and facteur "
		    "was built without PAM: system accounts cannot log in",
		    e->name);
		return PASSWD_REFUSED;
#endif
	}
	allow_plain = conf_bool(conf, "auth_allow_plain_hashes");
	if ((why = passwd_scheme_problem(e->hash, allow_plain)) != NULL ||
	    (s = passwd_scheme_find(e->hash, &hash)) == NULL) {
		passwd_verify_dummy(password);
		log_warnx("auth: user=<%s>: cannot log in: %s", e->name,
		    why != NULL ? why : "unknown scheme");
		return PASSWD_REFUSED;
	}
	if (strcmp(s->name, "{PLAIN}") == 0)
		return passwd_equal(password, hash) ? PASSWD_OK :
		    PASSWD_MISMATCH;
	if (crypt_checksalt(hash) == CRYPT_SALT_METHOD_LEGACY)
		log_info("auth: user=<%s>: weak legacy hash, make a new one "
		    "with facteurctl passwd", e->name);
	if ((r = passwd_crypt_match(password, hash)) == -1) {
		log_warnx("auth: user=<%s>: crypt: out of memory", e->name);
		return PASSWD_TEMP;
	}
	if (r == -2) {
		log_warnx("auth: user=<%s>: cannot log in: crypt(3) cannot "
		    "read the hash", e->name);
		return PASSWD_REFUSED;
	}
	return r == 1 ? PASSWD_OK : PASSWD_MISMATCH;
}

void
passwd_verify_dummy(const char *password)
{
	static char	dummy[CRYPT_OUTPUT_SIZE];

	/* A yescrypt hash of nothing anyone knows, made once. */
	if (dummy[0] == '\0' && passwd_hash("yescrypt", "\x01 no user \x01",
	    dummy, sizeof(dummy)) == -1) {
		dummy[0] = '\0';
		return;
	}
	/* Past "{YESCRYPT}"; the answer does not matter. */
	(void)passwd_crypt_match(password, dummy + strlen("{YESCRYPT}"));
}

int
passwd_hash(const char *scheme, const char *password, char *out,
    size_t outsize)
{
	const struct passwd_scheme	*s;
	struct crypt_data		*cd;
	char				 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char			*h;
	int				 n, rv = -1;

	if (scheme == NULL)
		scheme = "yescrypt";
	for (s = passwd_schemes; s->name != NULL; s++)
		if (s->alias != NULL && strcasecmp(scheme, s->alias) == 0)
			break;
	if (s->name == NULL || strlen(password) > PASSWD_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (crypt_gensalt_rn(s->gensalt, s->cost, NULL, 0, salt,
	    (int)sizeof(salt)) == NULL)
		return -1;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	if ((h = crypt_rn(password, salt, cd, (int)sizeof(*cd))) != NULL) {
		n = snprintf(out, outsize, "%s%s", s->name, h);
		if (n >= 0 && (size_t)n < outsize)
			rv = 0;
		else
			errno = ENAMETOOLONG;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rv;
}
