/*
 * imap_mailbox: the user's Maildir++ tree as mailboxes: the name of a
 * command's mailbox argument, the directory of a name, creating folders
 * (with the "maildirfolder" file Courier and Dovecot put in each), the
 * special-use folders (RFC 6154) created at login, the list of every
 * folder and the subscriptions (facteur-subscriptions: NUL-ended names,
 * rewritten atomically).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "fdio.h"
#include "imapsession.h"
#include "log.h"

#define SUBS_MAX	(1024 * 1024)	/* bytes of the subscriptions */
#define FOLDERS_MAX	100000

static const struct {
	const char	*name;
	const char	*attr;
} special_use[] = {
	{ "Sent", "\\Sent" }, { "Drafts", "\\Drafts" },
	{ "Trash", "\\Trash" }, { "Junk", "\\Junk" },
	{ "Archive", "\\Archive" }
};

int
mbox_arg(struct imap_session *s, const struct imap_arg *a, char *out,
    size_t outlen)
{
	const char	*why;
	int		 r;

	if (!imap_arg_astring(a) || (a->flags & IMAP_ARGF_SPOOLED)) {
		(void)imap_bad(s, "mailbox name expected");
		return -1;
	}
	r = mailbox_name_from_wire(a->s, a->len, s->utf8, out, outlen, &why);
	if (r == -1) {
		(void)imap_bad(s, "%s", why);
		return -1;
	}
	if (r == -2) {
		(void)imap_no(s, "[CANNOT] %s", why);
		return -1;
	}
	return 0;
}

int
mbox_path(const struct imap_session *s, const char *name, char *out,
    size_t outlen)
{
	char	 dir[MAILBOX_NAME_MAX + 2];
	int	 r;

	if (mailbox_name_dir(name, dir, sizeof(dir)) == -1)
		return -1;
	if (strcmp(dir, ".") == 0)
		r = snprintf(out, outlen, "%s", s->root);
	else
		r = snprintf(out, outlen, "%s/%s", s->root, dir);
	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}

int
mbox_exists(const struct imap_session *s, const char *name)
{
	char		 p[PATH_MAX];
	struct stat	 st;

	if (mbox_path(s, name, p, sizeof(p) - 4) == -1)
		return 0;
	(void)strlcat(p, "/cur", sizeof(p));
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
mbox_mkdir(const char *p)
{
	return mkdir(p, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

int
mbox_create(const struct imap_session *s, const char *name)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char	 p[PATH_MAX], q[PATH_MAX];
	size_t	 k;
	int	 fd;

	if (mbox_path(s, name, p, sizeof(p)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mbox_mkdir(p) == -1)
		return -1;
	for (k = 0; k < 3; k++) {
		if (snprintf(q, sizeof(q), "%s/%s", p, subs[k]) >=
		    (int)sizeof(q) || mbox_mkdir(q) == -1)
			return -1;
	}
	if (strcmp(name, "INBOX") != 0) {
		if (snprintf(q, sizeof(q), "%s/maildirfolder", p) >=
		    (int)sizeof(q))
			return -1;
		fd = open(q, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1)
			return -1;
		(void)close(fd);
	}
	return fsync_dir(s->root);
}

const char *
mbox_special_use(const char *name)
{
	size_t	 k;

	for (k = 0; k < sizeof(special_use) / sizeof(special_use[0]); k++)
		if (strcmp(name, special_use[k].name) == 0)
			return special_use[k].attr;
	return NULL;
}

void
mbox_create_special(const struct imap_session *s)
{
	size_t	 k;

	for (k = 0; k < sizeof(special_use) / sizeof(special_use[0]); k++)
		if (!mbox_exists(s, special_use[k].name) &&
		    mbox_create(s, special_use[k].name) == -1)
			log_warn("user=<%s>: create %s", s->user,
			    special_use[k].name);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
list_push(char ***v, size_t *n, size_t *cap, const char *name)
{
	char	**nv;
	size_t	 ncap;

	if (*n >= FOLDERS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((nv = reallocarray(*v, ncap, sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	if (((*v)[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

void
mbox_list_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
mbox_list_all(const struct imap_session *s, char ***v, size_t *n)
{
	char		 name[MAILBOX_NAME_MAX * 4 + 1];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	size_t		 cap = 0;
	int		 fd, save;

	*v = NULL;
	*n = 0;
	if (list_push(v, n, &cap, "INBOX") == -1)
		return -1;
	if ((fd = dup(s->rootfd)) == -1)
		goto fail;
	if (lseek(fd, 0, SEEK_SET) == -1 || (d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		goto fail;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (mailbox_name_from_dir(de->d_name, name, sizeof(name)) == -1)
			continue;
		if (de->d_type != DT_DIR && (de->d_type != DT_UNKNOWN ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISDIR(st.st_mode)))
			continue;
		if (list_push(v, n, &cap, name) == -1)
			break;
	}
	save = errno;
	(void)closedir(d);
	if (save != 0) {
		errno = save;
		goto fail;
	}
	if (*n > 2)
		qsort(*v + 1, *n - 1, sizeof(**v), name_cmp);
	return 0;
fail:
	save = errno;
	mbox_list_free(*v, *n);
	*v = NULL;
	*n = 0;
	errno = save;
	return -1;
}

int
mbox_subs_load(const struct imap_session *s, char ***v, size_t *n)
{
	char	*data, *p, *nul;
	size_t	 cap = 0, left;
	ssize_t	 got;
	int	 fd, r = 0;

	*v = NULL;
	*n = 0;
	fd = openat(s->rootfd, STORE_SUBSCRIPTIONS, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((data = malloc(SUBS_MAX)) == NULL) {
		(void)close(fd);
		return -1;
	}
	got = fd_read_full(fd, data, SUBS_MAX);
	(void)close(fd);
	if (got < 0) {
		free(data);
		return -1;
	}
	for (p = data, left = (size_t)got; left > 0; ) {
		if ((nul = memchr(p, '\0', left)) == NULL)
			break;
		if (nul > p && strlen(p) <= MAILBOX_NAME_MAX &&
		    (r = list_push(v, n, &cap, p)) == -1)
			break;
		left -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	free(data);
	if (r == -1) {
		mbox_list_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return r;
}

/* Writes the subscriptions v[0..n) (skipping NULLs).  0 or -1. */
static int
subs_save(const struct imap_session *s, char **v, size_t n)
{
	char		 p[PATH_MAX];
	struct buf	 b;
	size_t		 i;
	int		 r = 0;

	buf_init(&b, SUBS_MAX);
	for (i = 0; i < n && r == 0; i++)
		if (v[i] != NULL)
			r = buf_append(&b, v[i], strlen(v[i]) + 1);
	if (r == 0 && snprintf(p, sizeof(p), "%s/%s", s->root,
	    STORE_SUBSCRIPTIONS) < (int)sizeof(p))
		r = atomic_write(p, b.data != NULL ? b.data : "", b.len, 0600);
	else
		r = -1;
	buf_free(&b);
	return r;
}

int
mbox_subs_set(const struct imap_session *s, const char *name, int on)
{
	char	**v;
	size_t	 n, i, cap;
	int	 found = 0, r;

	if (mbox_subs_load(s, &v, &n) == -1)
		return -1;
	cap = n;
	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0) {
			found = 1;
			if (!on) {
				free(v[i]);
				v[i] = NULL;
			}
		}
	if (found == on) {
		mbox_list_free(v, n);
		return 0;
	}
	if (on && list_push(&v, &n, &cap, name) == -1) {
		mbox_list_free(v, n);
		return -1;
	}
	r = subs_save(s, v, n);
	mbox_list_free(v, n);
	return r;
}

int
mbox_subs_rename(const struct imap_session *s, const char *from,
    const char *to)
{
	char	**v, nn[2 * MAILBOX_NAME_MAX + 2], *d;
	size_t	 n, i, flen = strlen(from);
	int	 changed = 0, r = 0;

	if (mbox_subs_load(s, &v, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i], from) != 0 && !mailbox_name_is_child(v[i],
		    from))
			continue;
		if (snprintf(nn, sizeof(nn), "%s%s", to, v[i] + flen) >=
		    (int)sizeof(nn) || (d = strdup(nn)) == NULL)
			continue;
		free(v[i]);
		v[i] = d;
		changed = 1;
	}
	if (changed)
		r = subs_save(s, v, n);
	mbox_list_free(v, n);
	return r;
}
