/*
 * maildir_once: what makes a local delivery happen once even when its
 * result is lost (a crash of lspawn, queued or the machine between the
 * link into new/ and the record of it): the name a queued message gets
 * in a recipient's Maildir, the same at every attempt
 * (maildir_queue_name), and looking for that name in new/ and cur/
 * (maildir_has).  maildir.c links a delivery to that name never over an
 * existing file.  docs/queue.md ("Exactly once") says what is left.
 *
 * Trust: the Maildir is the recipient's own, whom the caller runs as;
 * the queue ID and the recipient were checked by the caller
 * (deliver_maildir.c); names read from cur/ are only compared.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "queueid.h"
#include "sha256.h"

#define ONCE_HASH_DIGITS	10	/* 50 bits of SHA-256 */
#define ONCE_SEC_BITS		30	/* the seconds a queue ID holds */

static const char once_b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * The arrival second a queue ID holds (its first six digits, 30 bits):
 * the latest time not more than a day ahead of now with those low bits.
 */
static long long
once_id_seconds(const char *id)
{
	const char	*p;
	long long	 now, low = 0, t;
	int		 i;

	for (i = 0; i < 6; i++) {
		if ((p = strchr(once_b32, id[i])) == NULL || *p == '\0')
			return -1;
		low = low * 32 + (p - once_b32);
	}
	now = (long long)time(NULL);
	t = (now & ~((1LL << ONCE_SEC_BITS) - 1)) | low;
	if (t > now + 86400)
		t -= 1LL << ONCE_SEC_BITS;
	return t;
}

int
maildir_queue_name(char *out, size_t n, const char *id, const char *rcpt)
{
	unsigned char	 h[SHA256_LEN];
	char		 hash[ONCE_HASH_DIGITS + 1], host[4 * 256];
	uint64_t	 v = 0;
	long long	 sec;
	int		 i, r;

	if (!queueid_valid(id) || rcpt == NULL ||
	    (sec = once_id_seconds(id)) < 0) {
		errno = EINVAL;
		return -1;
	}
	sha256(rcpt, strlen(rcpt), h);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	for (i = ONCE_HASH_DIGITS - 1; i >= 0; i--) {
		hash[i] = once_b32[v & 31];
		v >>= 5;
	}
	hash[ONCE_HASH_DIGITS] = '\0';
	if (maildir_host(host, sizeof(host)) == -1)
		return -1;
	r = snprintf(out, n, "%lld.Q%sR%s.%s", sec, id, hash, host);
	if (r < 0 || (size_t)r >= n || r > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* 1 if entry is name itself, or name followed by ':' or ','. */
static int
once_match(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 &&
	    (entry[len] == '\0' || entry[len] == ':' || entry[len] == ',');
}

int
maildir_has(const char *dir, const char *name)
{
	struct dirent	*de;
	struct stat	 st;
	char		 path[PATH_MAX];
	size_t		 len = strlen(name);
	DIR		*d;
	int		 r, found = 0, saved;

	r = snprintf(path, sizeof(path), "%s/new/%s", dir, name);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(path, &st) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	r = snprintf(path, sizeof(path), "%s/cur", dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* a reader moved it to cur/ and gave it flags: read the folder */
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	errno = 0;
	while (!found && (de = readdir(d)) != NULL)
		found = once_match(de->d_name, name, len);
	saved = errno;
	(void)closedir(d);
	if (!found && saved != 0) {
		errno = saved;
		return -1;
	}
	return found;
}
