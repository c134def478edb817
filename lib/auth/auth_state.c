/*
 * auth_state: failure counts per client address, shared by every session
 * on the host, so that an attacker gains nothing by opening a new
 * connection for each guess.  One small file per address in
 * auth_state_dir, named by a hash of the address (no address reaches a
 * file name), holding the NUL-terminated tagged fields `C<count>` and
 * `T<time of the last failure>`; read and rewritten under flock(2).  A
 * record older than auth_fail_window counts as zero and is removed by
 * auth_state_clean.  Losing a record (a crash, a full disk) only forgets
 * some failures, so nothing here is fsynced.
 *
 * Trust: auth_state_dir belongs to the root monitors; a record that does
 * not parse counts as none (it is only a count), and no address reaches
 * a path.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auth.h"
#include "auth_state_int.h"
#include "log.h"
#include "netaddr.h"

#define STATE_NAME_LEN	32		/* hex digits of the file name */
#define STATE_REC_MAX	64		/* bytes of a record */
#define STATE_COUNT_MAX	AUTH_STATE_COUNT_MAX
#define STATE_CLEAN_ODDS 32		/* clean on 1 failure in this many */

/*
 * The bytes that identify a client: its netaddr_client_key (the IPv4
 * address, or the IPv6 address cut to client_ipv6_prefix bits, as the
 * master counts sessions), else the text itself.
 */
static size_t
state_key(const char *addr, unsigned prefix, unsigned char *key,
    size_t size)
{
	size_t	 n;

	if (size >= NETADDR_KEY_MAX &&
	    (n = netaddr_client_key(addr, prefix, key)) != 0)
		return n;
	n = strnlen(addr, size - 1);
	key[0] = 's';
	memcpy(key + 1, addr, n);
	return n + 1;
}

/* dir/<hash of addr> into path; -1 when it does not fit or fails. */
static int
state_path(const char *dir, const char *addr, unsigned prefix, char *path,
    size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 key[AUTH_ADDR_MAX + 2], md[EVP_MAX_MD_SIZE];
	char			 name[STATE_NAME_LEN + 1];
	unsigned int		 mdlen = 0;
	size_t			 klen, i;
	int			 n;

	klen = state_key(addr, prefix, key, sizeof(key));
	if (EVP_Digest(key, klen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < STATE_NAME_LEN / 2)
		return -1;
	for (i = 0; i < STATE_NAME_LEN / 2; i++) {
		name[2 * i] = hex[md[i] >> 4];
		name[2 * i + 1] = hex[md[i] & 15];
	}
	name[STATE_NAME_LEN] = '\0';
	n = snprintf(path, size, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Only digits: strtonum alone would take a sign and white space. */
static int
state_digits(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return len > 0;
}

/* Parses `C<n>\0T<t>\0`; -1 when it is anything else. */
int
auth_state_parse(const char *buf, size_t len, long long *count,
    long long *when)
{
	const char	*err, *c, *t;
	size_t		 cl, tl;

	if (len < 4 || buf[0] != 'C' || buf[len - 1] != '\0')
		return -1;
	c = buf + 1;
	cl = strlen(c);
	if (cl == 0 || c + cl + 1 >= buf + len || c[cl + 1] != 'T')
		return -1;
	t = c + cl + 2;
	tl = strlen(t);
	if (tl == 0 || t + tl + 1 != buf + len ||
	    !state_digits(c, cl) || !state_digits(t, tl))
		return -1;
	*count = strtonum(c, 0, STATE_COUNT_MAX, &err);
	if (err != NULL)
		return -1;
	*when = strtonum(t, 0, LLONG_MAX, &err);
	return err == NULL ? 0 : -1;
}

/* The count in fd's record at time now, 0 when expired or malformed. */
static long long
state_read(int fd, time_t now, long long window)
{
	char		 buf[STATE_REC_MAX];
	ssize_t		 n;
	long long	 count, when;

	if ((n = pread(fd, buf, sizeof(buf), 0)) <= 0 ||
	    (size_t)n == sizeof(buf) ||
	    auth_state_parse(buf, (size_t)n, &count, &when) == -1)
		return 0;
	/* A record from the future (clock set back) counts as now. */
	if (when <= (long long)now && (long long)now - when >= window)
		return 0;
	return count;
}

static int
state_dir_ready(const char *dir)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("auth: cannot create auth_state_dir %s", dir);
		return -1;
	}
	return 0;
}

/*
 * Opens and locks the record at path.  auth_state_clean may have unlinked
 * it between our open and our lock: then the lock is on a dead file, and
 * we open again.  -1 with errno; ENOENT for a missing record when !add.
 */
static int
state_open(const char *path, int add)
{
	struct stat	sf, sp;
	int		fd, tries;

	for (tries = 0; tries < 5; tries++) {
		fd = open(path, (add ? O_RDWR | O_CREAT : O_RDONLY) |
		    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
		if (fd == -1)
			return -1;
		if (flock(fd, add ? LOCK_EX : LOCK_SH) == -1 ||
		    fstat(fd, &sf) == -1) {
			(void)close(fd);
			return -1;
		}
		if (!S_ISREG(sf.st_mode)) {
			(void)close(fd);
			errno = EINVAL;
			return -1;
		}
		if (stat(path, &sp) == 0 && sp.st_dev == sf.st_dev &&
		    sp.st_ino == sf.st_ino)
			return fd;
		(void)close(fd);	/* read-only, or not written yet */
		if (!add && access(path, F_OK) == -1 && errno == ENOENT)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

/* Reads (add = 0) or counts one more failure (add = 1). */
static int
state_update(const struct conf *conf, const char *addr, time_t now, int add)
{
	const char	*dir = conf_str(conf, "auth_state_dir");
	long long	 window = conf_int(conf, "auth_fail_window"), count;
	char		 path[PATH_MAX], rec[STATE_REC_MAX];
	int		 fd, n, rv = -1;

	if (dir[0] == '\0')
		return 0;
	if (state_path(dir, addr, (unsigned)conf_int(conf,
	    "client_ipv6_prefix"), path, sizeof(path)) == -1) {
		log_warnx("auth: auth_state_dir path too long");
		return -1;
	}
	if (add && state_dir_ready(dir) == -1)
		return -1;
	if ((fd = state_open(path, add)) == -1) {
		if (!add && errno == ENOENT)
			return 0;
		log_warn("auth: %s", path);
		return -1;
	}
	count = state_read(fd, now, window);
	if (!add) {
		rv = (int)count;
		goto done;
	}
	if (count < STATE_COUNT_MAX)
		count++;
	n = snprintf(rec, sizeof(rec), "C%lld%cT%lld%c", count, '\0',
	    (long long)now, '\0');
	if (n < 0 || (size_t)n >= sizeof(rec))
		goto done;
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, rec, (size_t)n, 0) != (ssize_t)n) {
		log_warn("auth: write %s", path);
		goto done;
	}
	rv = (int)count;
done:
	if (close(fd) == -1 && rv != -1) {
		log_warn("auth: close %s", path);
		rv = -1;
	}
	return rv;
}

int
auth_addr_fail(const struct conf *conf, const char *addr, time_t now)
{
	int	rv;

	rv = state_update(conf, addr, now, 1);
	if (rv > 0 && arc4random_uniform(STATE_CLEAN_ODDS) == 0)
		(void)auth_state_clean(conf, now);
	return rv;
}

int
auth_addr_failures(const struct conf *conf, const char *addr, time_t now)
{
	return state_update(conf, addr, now, 0);
}

static int
state_name_ok(const char *name)
{
	size_t	i;

	for (i = 0; i < STATE_NAME_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return name[STATE_NAME_LEN] == '\0';
}

int
auth_state_clean(const struct conf *conf, time_t now)
{
	const char	*dir = conf_str(conf, "auth_state_dir");
	long long	 window = conf_int(conf, "auth_fail_window");
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	int		 fd, n, removed = 0;

	if (dir[0] == '\0')
		return 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_warn("auth: %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!state_name_ok(de->d_name))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd == -1)
			continue;
		/* A record someone is updating is not stale. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    state_read(fd, now, window) == 0) {
			if (unlink(path) == 0)
				removed++;
			else if (errno != ENOENT)
				log_warn("auth: unlink %s", path);
		}
		(void)close(fd);	/* read-only: nothing to lose */
	}
	if (closedir(d) == -1)
		log_warn("auth: closedir %s", dir);
	return removed;
}
