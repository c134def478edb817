/*
 * maildir_list: listing a Maildir's cur/ for a mailbox server (see the
 * header): new/ taken into cur/, then every regular file of cur/ in one
 * compact index sorted by arrival, with the wire sizes filled in by
 * maildir_sizes.c.  Operations on one listed message are maildir_msg.c's.
 *
 * Trust: the Maildir is the mailbox owner's (the caller runs as that
 * user); file names are other programs' and are checked
 * (maildir_name.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maildir_list_int.h"

int
maildir_list_take_new(const char *dir)
{
	char		 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1];
	DIR		*d;
	struct dirent	*de;
	int		 moved = 0, r, save;

	if (maildir_list_path(from, sizeof(from), dir, "new", NULL) == -1)
		return -1;
	if ((d = opendir(from)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (strchr(de->d_name, ':') != NULL)
			r = snprintf(nn, sizeof(nn), "%s", de->d_name);
		else
			r = snprintf(nn, sizeof(nn), "%s:2,", de->d_name);
		if (r < 0 || (size_t)r >= sizeof(nn))
			continue;	/* cannot be named in cur/: leave it */
		if (maildir_list_path(from, sizeof(from), dir, "new",
		    de->d_name) == -1 ||
		    maildir_list_path(to, sizeof(to), dir, "cur", nn) == -1)
			continue;
		if (rename(from, to) == -1) {
			if (errno == ENOENT)
				continue;	/* taken by someone else */
			save = errno;
			(void)closedir(d);
			errno = save;
			return -1;
		}
		moved++;
	}
	save = errno;
	(void)closedir(d);
	errno = save;
	return save != 0 ? -1 : moved;
}

const char *
maildir_list_name(const struct maildir_list *l, size_t i)
{
	return l->names + l->msgs[i].name;
}

static int
msg_cmp(const void *a, const void *b, void *names)
{
	const struct maildir_msg *ma = a, *mb = b;
	const char	*x = (const char *)names + ma->name;
	const char	*y = (const char *)names + mb->name;
	unsigned long long sx = maildir_name_sec(x), sy = maildir_name_sec(y);

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(x, y);
}

/* Gives message i the name (appended to the names block).  0 or -1. */
int
maildir_list_set_name(struct maildir_list *l, size_t i, const char *name)
{
	size_t	 len = strlen(name) + 1, ncap;
	char	*nn;

	if (len > NAME_MAX + 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (l->namescap - l->nameslen < len) {
		ncap = l->namescap ? l->namescap * 2 : 8192;
		while (ncap - l->nameslen < len)
			ncap *= 2;
		if (ncap > UINT32_MAX) {
			errno = E2BIG;
			return -1;
		}
		if ((nn = realloc(l->names, ncap)) == NULL)
			return -1;
		l->names = nn;
		l->namescap = ncap;
	}
	memcpy(l->names + l->nameslen, name, len);
	l->msgs[i].name = (uint32_t)l->nameslen;
	l->msgs[i].ulen = (uint16_t)maildir_name_unique_len(name);
	l->nameslen += len;
	return 0;
}

/* Adds a message; its size holds the size on disk until maildir_sizes_fill. */
static int
list_add(struct maildir_list *l, const char *name, off_t raw)
{
	struct maildir_msg	*m;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;

		if (l->n >= MAILDIR_LIST_MAX) {
			errno = E2BIG;
			return -1;
		}
		m = reallocarray(l->msgs, ncap, sizeof(*m));
		if (m == NULL)
			return -1;
		l->msgs = m;
		l->cap = ncap;
	}
	memset(&l->msgs[l->n], 0, sizeof(l->msgs[l->n]));
	if (maildir_list_set_name(l, l->n, name) == -1)
		return -1;
	l->msgs[l->n].size = (size_t)raw;
	l->n++;
	return 0;
}

/* Gives back what the listing's growth left unused. */
static void
list_shrink(struct maildir_list *l)
{
	struct maildir_msg	*m;
	char			*nn;

	if (l->n > 0 && l->n < l->cap &&
	    (m = reallocarray(l->msgs, l->n, sizeof(*m))) != NULL) {
		l->msgs = m;
		l->cap = l->n;
	}
	if (l->nameslen > 0 && l->nameslen < l->namescap &&
	    (nn = realloc(l->names, l->nameslen)) != NULL) {
		l->names = nn;
		l->namescap = l->nameslen;
	}
}

int
maildir_list_scan(struct maildir_list *l, const char *dir)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 save;

	memset(l, 0, sizeof(*l));
	if ((l->dir = strdup(dir)) == NULL)
		return -1;
	if (maildir_list_path(path, sizeof(path), dir, "cur", NULL) == -1 ||
	    (d = opendir(path)) == NULL)
		goto fail;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (list_add(l, de->d_name, st.st_size) == -1)
			break;
	}
	save = errno;
	(void)closedir(d);
	if (save != 0) {
		errno = save;
		goto fail;
	}
	if (l->n > 1)
		qsort_r(l->msgs, l->n, sizeof(*l->msgs), msg_cmp, l->names);
	if (maildir_sizes_fill(l) == -1)
		goto fail;
	list_shrink(l);
	return 0;
fail:
	save = errno;
	maildir_list_free(l);
	errno = save;
	return -1;
}

void
maildir_list_free(struct maildir_list *l)
{
	free(l->msgs);
	free(l->names);
	free(l->dir);
	memset(l, 0, sizeof(*l));
}
