/*
 * store_scan: one reading of a folder's new/ and cur/ into a list of
 * file names indexed by unique name.  new/ is read before cur/: a file
 * that moves from new/ to cur/ meanwhile is then seen twice (and kept
 * once, as cur/'s) rather than not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir_name.h"
#include "store.h"

static uint32_t
scan_hash(const char *s, size_t n)
{
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619U;
	}
	return h;
}

static int
scan_rehash(struct scan *s, size_t cap)
{
	uint32_t	*h;
	size_t		 i, k;

	if ((h = calloc(cap, sizeof(*h))) == NULL)
		return -1;
	for (i = 0; i < s->n; i++) {
		k = scan_hash(s->names + s->e[i].name, s->e[i].ulen) &
		    (cap - 1);
		while (h[k] != 0)
			k = (k + 1) & (cap - 1);
		h[k] = (uint32_t)i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hcap = cap;
	return 0;
}

/* The hash slot of unique name u: its entry's, or the empty one. */
static size_t
scan_slot(const struct scan *s, const char *u, size_t ulen)
{
	size_t			 k = scan_hash(u, ulen) & (s->hcap - 1);
	const struct scan_ent	*e;

	while (s->hash[k] != 0) {
		e = &s->e[s->hash[k] - 1];
		if (e->ulen == ulen && memcmp(s->names + e->name, u, ulen) == 0)
			break;
		k = (k + 1) & (s->hcap - 1);
	}
	return k;
}

struct scan_ent *
scan_find(struct scan *s, const char *u, size_t ulen)
{
	size_t	 k;

	if (s->hcap == 0)
		return NULL;
	k = scan_slot(s, u, ulen);
	return s->hash[k] == 0 ? NULL : &s->e[s->hash[k] - 1];
}

static int
scan_add(struct scan *s, const char *name, int in_new)
{
	size_t		 len = strlen(name) + 1, ulen, k, ncap;
	struct scan_ent	*e;
	char		*nn;

	ulen = maildir_name_unique_len(name);
	if (ulen == 0 || ulen > UINT16_MAX)
		return 0;	/* not a message name */
	if (s->n >= STORE_MSGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((s->n + 1) * 2 > s->hcap &&
	    scan_rehash(s, s->hcap ? s->hcap * 2 : 1024) == -1)
		return -1;
	if (s->namescap - s->nameslen < len) {
		ncap = s->namescap ? s->namescap * 2 : 16384;
		while (ncap - s->nameslen < len)
			ncap *= 2;
		if (ncap > UINT32_MAX) {
			errno = E2BIG;
			return -1;
		}
		if ((nn = realloc(s->names, ncap)) == NULL)
			return -1;
		s->names = nn;
		s->namescap = ncap;
	}
	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 256;
		if ((e = reallocarray(s->e, ncap, sizeof(*e))) == NULL)
			return -1;
		s->e = e;
		s->cap = ncap;
	}
	k = scan_slot(s, name, ulen);
	if (s->hash[k] != 0) {
		/* Seen in new/ and now in cur/: keep the cur/ name. */
		e = &s->e[s->hash[k] - 1];
	} else {
		e = &s->e[s->n];
		s->hash[k] = (uint32_t)++s->n;
	}
	memset(e, 0, sizeof(*e));
	memcpy(s->names + s->nameslen, name, len);
	e->name = (uint32_t)s->nameslen;
	e->ulen = (uint16_t)ulen;
	e->in_new = (uint8_t)in_new;
	s->nameslen += len;
	return 0;
}

static int
scan_dir(struct scan *s, int dfd, const char *sub)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd, save;

	if ((fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		save = errno;
		(void)close(fd);
		errno = save;
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1) {
				if (errno == ENOENT)
					continue;
				break;
			}
			if (!S_ISREG(st.st_mode))
				continue;
		} else if (de->d_type != DT_REG)
			continue;
		if (scan_add(s, de->d_name, sub[0] == 'n') == -1)
			break;
	}
	save = errno;
	(void)closedir(d);
	errno = save;
	return save != 0 ? -1 : 0;
}

int
scan_dirs(struct scan *s, int dfd, int skip_new)
{
	memset(s, 0, sizeof(*s));
	if ((!skip_new && scan_dir(s, dfd, "new") == -1 && errno != ENOENT) ||
	    scan_dir(s, dfd, "cur") == -1) {
		scan_free(s);
		return -1;
	}
	return 0;
}

int
scan_names(struct scan *s, struct scan *touched, int dfd, const char *ev,
    size_t evlen)
{
	struct stat	 st;
	const char	*p;
	char		 path[4 + NAME_MAX + 1];
	size_t		 off;
	int		 pass, in_new;

	memset(s, 0, sizeof(*s));
	memset(touched, 0, sizeof(*touched));
	/* new/ first: a name in both is kept as cur/'s, as scan_dirs does */
	for (pass = 0; pass < 2; pass++)
		for (off = 0; off < evlen; off += strlen(p) + 1) {
			p = ev + off;
			in_new = p[0] == 'n';
			if (in_new != (pass == 0))
				continue;
			if (scan_add(touched, p + 1, in_new) == -1)
				goto fail;
			if (snprintf(path, sizeof(path), "%s/%s",
			    in_new ? "new" : "cur", p + 1) >= (int)sizeof(path))
				continue;
			if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
				if (errno == ENOENT)
					continue;
				goto fail;
			}
			if (S_ISREG(st.st_mode) && scan_add(s, p + 1,
			    in_new) == -1)
				goto fail;
		}
	return 0;
fail:
	off = (size_t)errno;
	scan_free(s);
	scan_free(touched);
	errno = (int)off;
	return -1;
}

void
scan_free(struct scan *s)
{
	free(s->e);
	free(s->names);
	free(s->hash);
	memset(s, 0, sizeof(*s));
}
