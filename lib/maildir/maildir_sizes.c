/*
 * maildir_sizes: the wire size of every listed message (CRLF line ends, a
 * final CRLF added), which costs a read of the whole message, so it is
 * computed once and kept: from ",W=<size>" in the file name when present,
 * else from the size cache MAILDIR_SIZE_CACHE in the Maildir
 * (NUL-separated records "unique\0rawsize\0size\0", rewritten atomically;
 * a record counts only when the file's size on disk still matches), else
 * by reading the file.
 *
 * Trust: the size cache and the ',W=' of a name are hints: a cached size
 * counts only while the file's size on disk still matches.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "crlf.h"
#include "maildir_list_int.h"

#define CACHE_MAX	(64 * 1024 * 1024)	/* bytes of the size cache */

static int
cache_cmp(const void *a, const void *b)
{
	const struct maildir_size_rec	*x = a, *y = b;
	size_t			 n = x->ulen < y->ulen ? x->ulen : y->ulen;
	int			 c = memcmp(x->u, y->u, n);

	if (c != 0)
		return c;
	return (x->ulen > y->ulen) - (x->ulen < y->ulen);
}

static int
cache_num(const char *s, size_t len, long long *v)
{
	size_t	 i;

	*v = 0;
	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * Parses the cache's bytes p[0..len) into a sorted array of records
 * pointing into p: 0, or -1 when p is not a whole number of well-formed
 * records (then *recs is NULL).  An empty p is an empty cache.
 */
int
maildir_sizes_parse(const char *p, size_t len, struct maildir_size_rec **recs,
    size_t *n)
{
	struct maildir_size_rec *r = NULL;
	size_t		 cap = 0, cnt = 0, pos = 0, flen[3];
	const char	*f[3];
	int		 k;

	*recs = NULL;
	*n = 0;
	while (pos < len) {
		for (k = 0; k < 3; k++) {
			const char *z = memchr(p + pos, '\0', len - pos);

			if (z == NULL)
				goto bad;
			f[k] = p + pos;
			flen[k] = (size_t)(z - f[k]);
			pos += flen[k] + 1;
		}
		if (cnt == cap) {
			struct maildir_size_rec *nr;

			cap = cap ? cap * 2 : 1024;
			if (cap > MAILDIR_LIST_MAX ||
			    (nr = reallocarray(r, cap, sizeof(*r))) == NULL)
				goto bad;
			r = nr;
		}
		r[cnt].u = f[0];
		r[cnt].ulen = flen[0];
		if (flen[0] == 0 ||
		    cache_num(f[1], flen[1], &r[cnt].raw) == -1 ||
		    cache_num(f[2], flen[2], &r[cnt].size) == -1)
			goto bad;
		cnt++;
	}
	if (cnt > 0)
		qsort(r, cnt, sizeof(*r), cache_cmp);
	*recs = r;
	*n = cnt;
	return 0;
bad:
	free(r);
	return -1;
}

/*
 * Reads the cache into a sorted array over *data.  A malformed cache is
 * an empty one: it is only ever a shortcut.
 */
static void
cache_load(const char *dir, char **data, struct maildir_size_rec **recs,
    size_t *n)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	char		*p = NULL;
	ssize_t		 got;
	int		 fd;

	*data = NULL;
	*recs = NULL;
	*n = 0;
	if (maildir_list_path(path, sizeof(path), dir, MAILDIR_SIZE_CACHE,
	    NULL) == -1)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > CACHE_MAX ||
	    (p = malloc((size_t)st.st_size)) == NULL)
		goto bad;
	got = fd_read_full(fd, p, (size_t)st.st_size);
	if (got != st.st_size ||
	    maildir_sizes_parse(p, (size_t)got, recs, n) == -1)
		goto bad;
	(void)close(fd);
	*data = p;
	return;
bad:
	(void)close(fd);
	free(p);
}

/* Writes the cache from the listing: temp file, fsync, rename. */
static int
cache_save(const struct maildir_list *l, const off_t *raw)
{
	char		 path[PATH_MAX], tmp[PATH_MAX];
	struct buf	 b;
	size_t		 i;
	int		 fd, r;

	if (maildir_list_path(path, sizeof(path), l->dir, MAILDIR_SIZE_CACHE,
	    NULL) == -1)
		return -1;
	r = snprintf(tmp, sizeof(tmp), "%s/tmp/%s.%ld", l->dir,
	    MAILDIR_SIZE_CACHE, (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -1;
	buf_init(&b, CACHE_MAX);
	for (i = 0; i < l->n; i++) {
		const struct maildir_msg *m = &l->msgs[i];

		if (buf_append(&b, l->names + m->name, m->ulen) == -1 ||
		    buf_printf(&b, "%c%lld%c%zu%c", '\0',
		    (long long)raw[i], '\0', m->size, '\0') == -1) {
			buf_free(&b);
			return -1;
		}
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		buf_free(&b);
		return -1;
	}
	r = fd_write_full(fd, b.data, b.len);
	buf_free(&b);
	if (r == -1 || fsync(fd) == -1) {
		(void)close(fd);
		(void)unlink(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Fills each message's size from its name, the cache, or its content,
 * and saves the cache when it learnt something.
 */
int
maildir_sizes_fill(struct maildir_list *l)
{
	char		 *data, path[PATH_MAX];
	struct maildir_size_rec *recs, key, *hit;
	size_t		  nrec, i, w;
	off_t		 *raw;
	ssize_t		  sz;
	int		  fd;

	if ((raw = reallocarray(NULL, l->n + 1, sizeof(*raw))) == NULL)
		return -1;
	cache_load(l->dir, &data, &recs, &nrec);
	l->cached = nrec;
	for (i = 0; i < l->n; i++) {
		struct maildir_msg *m = &l->msgs[i];
		const char	   *name = l->names + m->name;

		raw[i] = (off_t)m->size;
		if (maildir_name_wire_size(name, m->ulen, &w)) {
			m->size = w;
			continue;
		}
		key.u = name;
		key.ulen = m->ulen;
		hit = nrec ? bsearch(&key, recs, nrec, sizeof(*recs),
		    cache_cmp) : NULL;
		if (hit != NULL && hit->raw == (long long)raw[i]) {
			m->size = (size_t)hit->size;
			continue;
		}
		if (maildir_list_path(path, sizeof(path), l->dir, "cur",
		    name) == -1)
			goto fail;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
			if (errno != ENOENT)
				goto fail;
			continue;	/* gone: RETR says so */
		}
		sz = crlf_size_fd(fd);
		(void)close(fd);
		if (sz == -1)
			goto fail;
		m->size = (size_t)sz;
		l->computed++;
	}
	free(recs);
	free(data);
	/* The cache is a shortcut: failing to write it costs only time. */
	if (l->computed > 0 || l->cached > l->n)
		(void)cache_save(l, raw);
	free(raw);
	return 0;
fail:
	free(recs);
	free(data);
	free(raw);
	return -1;
}
