/*
 * maildir_list: listing a Maildir's cur/ for a mailbox server, with the
 * wire sizes of its messages computed once and cached (see the header),
 * new/ taken into cur/, and messages followed across renames by other
 * programs through their unique names.
 */
#include <dirent.h>
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
#include "maildir_list.h"
#include "sha256.h"

#define CACHE_MAX	(64 * 1024 * 1024)	/* bytes of the size cache */

struct cache_rec {
	const char	*u;
	size_t		 ulen;
	long long	 raw;
	long long	 size;
};

/* ---- names ---- */

static size_t
name_unique_len(const char *name)
{
	const char	*colon = strchr(name, ':');

	return colon != NULL ? (size_t)(colon - name) : strlen(name);
}

/* ",W=<digits>" inside the unique part: Dovecot's wire size. */
static int
name_wire_size(const char *name, size_t ulen, size_t *size)
{
	const char	*p = name, *end = name + ulen;
	unsigned long long v;

	while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p < 3 || p[0] != 'W' || p[1] != '=')
			continue;
		p += 2;
		v = 0;
		if (*p < '0' || *p > '9')
			continue;
		while (p < end && *p >= '0' && *p <= '9') {
			if (v > (SSIZE_MAX - 9) / 10)
				return 0;
			v = v * 10 + (unsigned)(*p++ - '0');
		}
		if (p != end && *p != ',')
			return 0;
		*size = (size_t)v;
		return 1;
	}
	return 0;
}

static int
path_join(char *out, size_t n, const char *dir, const char *sub,
    const char *name)
{
	int	 r;

	r = snprintf(out, n, "%s/%s%s%s", dir, sub, name ? "/" : "",
	    name ? name : "");
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
maildir_list_take_new(const char *dir)
{
	char		 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1];
	DIR		*d;
	struct dirent	*de;
	int		 moved = 0, r, save;

	if (path_join(from, sizeof(from), dir, "new", NULL) == -1)
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
		if (path_join(from, sizeof(from), dir, "new", de->d_name) == -1 ||
		    path_join(to, sizeof(to), dir, "cur", nn) == -1)
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

/* ---- the size cache ---- */

static int
cache_cmp(const void *a, const void *b)
{
	const struct cache_rec	*x = a, *y = b;
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
 * Reads the cache into a sorted array over *data.  A malformed cache is
 * an empty one: it is only ever a shortcut.
 */
static void
cache_load(const char *dir, char **data, struct cache_rec **recs, size_t *n)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	struct cache_rec *r = NULL;
	size_t		 cap = 0, cnt = 0, pos = 0, len[3];
	const char	*f[3];
	char		*p = NULL;
	ssize_t		 got;
	int		 fd, k;

	*data = NULL;
	*recs = NULL;
	*n = 0;
	if (path_join(path, sizeof(path), dir, MAILDIR_SIZE_CACHE, NULL) == -1)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > CACHE_MAX ||
	    (p = malloc((size_t)st.st_size)) == NULL)
		goto bad;
	got = fd_read_full(fd, p, (size_t)st.st_size);
	if (got != st.st_size)
		goto bad;
	while (pos < (size_t)got) {
		for (k = 0; k < 3; k++) {
			const char *z = memchr(p + pos, '\0', (size_t)got - pos);

			if (z == NULL)
				goto bad;
			f[k] = p + pos;
			len[k] = (size_t)(z - f[k]);
			pos += len[k] + 1;
		}
		if (cnt == cap) {
			struct cache_rec *nr;

			cap = cap ? cap * 2 : 1024;
			if (cap > MAILDIR_LIST_MAX ||
			    (nr = reallocarray(r, cap, sizeof(*r))) == NULL)
				goto bad;
			r = nr;
		}
		r[cnt].u = f[0];
		r[cnt].ulen = len[0];
		if (len[0] == 0 || cache_num(f[1], len[1], &r[cnt].raw) == -1 ||
		    cache_num(f[2], len[2], &r[cnt].size) == -1)
			goto bad;
		cnt++;
	}
	(void)close(fd);
	if (cnt > 0)
		qsort(r, cnt, sizeof(*r), cache_cmp);
	*data = p;
	*recs = r;
	*n = cnt;
	return;
bad:
	(void)close(fd);
	free(p);
	free(r);
}

/* Writes the cache from the listing: temp file, fsync, rename. */
static int
cache_save(const struct maildir_list *l, const off_t *raw)
{
	char		 path[PATH_MAX], tmp[PATH_MAX];
	struct buf	 b;
	size_t		 i;
	int		 fd, r;

	if (path_join(path, sizeof(path), l->dir, MAILDIR_SIZE_CACHE,
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

/* ---- the listing ---- */

const char *
maildir_list_name(const struct maildir_list *l, size_t i)
{
	return l->names + l->msgs[i].name;
}

/* The leading seconds of a name: the order of arrival. */
static unsigned long long
name_sec(const char *p)
{
	unsigned long long	 sec = 0;

	for (; *p >= '0' && *p <= '9' && sec < 1000000000000ULL; p++)
		sec = sec * 10 + (unsigned)(*p - '0');
	return sec;
}

static int
msg_cmp(const void *a, const void *b, void *names)
{
	const struct maildir_msg *ma = a, *mb = b;
	const char	*x = (const char *)names + ma->name;
	const char	*y = (const char *)names + mb->name;
	unsigned long long sx = name_sec(x), sy = name_sec(y);

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(x, y);
}

/* Gives message i the name (appended to the names block).  0 or -1. */
static int
list_set_name(struct maildir_list *l, size_t i, const char *name)
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
	l->msgs[i].ulen = (uint16_t)name_unique_len(name);
	l->nameslen += len;
	return 0;
}

/* Adds a message; its size holds the size on disk until list_sizes. */
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
	if (list_set_name(l, l->n, name) == -1)
		return -1;
	l->msgs[l->n].size = (size_t)raw;
	l->n++;
	return 0;
}

/*
 * Fills each message's size from its name, the cache, or its content,
 * and saves the cache when it learnt something.
 */
static int
list_sizes(struct maildir_list *l)
{
	char		 *data, path[PATH_MAX];
	struct cache_rec *recs, key, *hit;
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
		if (name_wire_size(name, m->ulen, &w)) {
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
		if (path_join(path, sizeof(path), l->dir, "cur", name) == -1)
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
	if (path_join(path, sizeof(path), dir, "cur", NULL) == -1 ||
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
	if (list_sizes(l) == -1)
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

/* Finds message i again after a rename, by its unique name.  0 or -1. */
static int
list_find(struct maildir_list *l, size_t i)
{
	size_t		 ulen = l->msgs[i].ulen;
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	int		 r, save;

	if (path_join(path, sizeof(path), l->dir, "cur", NULL) == -1 ||
	    (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, maildir_list_name(l, i), ulen) != 0 ||
		    (de->d_name[ulen] != ':' && de->d_name[ulen] != '\0'))
			continue;
		r = list_set_name(l, i, de->d_name);
		save = errno;
		(void)closedir(d);
		errno = save;
		return r;
	}
	(void)closedir(d);
	errno = ENOENT;
	return -1;
}

int
maildir_list_open(struct maildir_list *l, size_t i)
{
	char	 path[PATH_MAX];
	int	 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if (path_join(path, sizeof(path), l->dir, "cur",
		    maildir_list_name(l, i)) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 || errno != ENOENT)
			return fd;
		if (list_find(l, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
maildir_list_add_flag(struct maildir_list *l, size_t i, char flag)
{
	char	 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1], fl[64];
	char	*name, *info;
	size_t	 k, nf = 0;
	int	 tries, r, have = 0;

	for (tries = 0; tries < 2; tries++) {
		name = l->names + l->msgs[i].name;
		info = strstr(name + l->msgs[i].ulen, ":2,");
		if (info != NULL) {
			for (k = 0; info[3 + k] != '\0' && nf < sizeof(fl) - 2;
			    k++) {
				if (info[3 + k] == flag)
					have = 1;
				fl[nf++] = info[3 + k];
			}
			if (info[3 + k] != '\0') {
				errno = ENAMETOOLONG;
				return -1;
			}
		}
		if (have)
			return 0;
		/* Insert keeping ASCII order, as the Maildir spec asks. */
		for (k = nf; k > 0 && fl[k - 1] > flag; k--)
			fl[k] = fl[k - 1];
		fl[k] = flag;
		fl[++nf] = '\0';
		r = snprintf(nn, sizeof(nn), "%.*s:2,%s", (int)l->msgs[i].ulen,
		    name, fl);
		if (r < 0 || (size_t)r >= sizeof(nn) ||
		    path_join(from, sizeof(from), l->dir, "cur", name) == -1 ||
		    path_join(to, sizeof(to), l->dir, "cur", nn) == -1) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (rename(from, to) == 0)
			return list_set_name(l, i, nn);
		if (errno != ENOENT || list_find(l, i) == -1)
			return -1;
		nf = 0;
	}
	errno = ENOENT;
	return -1;
}

int
maildir_list_remove(struct maildir_list *l, size_t i)
{
	char	 path[PATH_MAX];
	int	 tries;

	for (tries = 0; tries < 2; tries++) {
		if (path_join(path, sizeof(path), l->dir, "cur",
		    maildir_list_name(l, i)) == -1)
			return -1;
		if (unlink(path) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		if (list_find(l, i) == -1)
			return errno == ENOENT ? 0 : -1;
	}
	return 0;
}

void
maildir_list_uidl(const struct maildir_list *l, size_t i, char *out,
    size_t outlen)
{
	const struct maildir_msg *m = &l->msgs[i];
	const char	*name = maildir_list_name(l, i);
	unsigned char	 md[SHA256_LEN];
	unsigned int	 k;
	size_t		 j;
	int		 fit = m->ulen > 0 && m->ulen <= MAILDIR_UIDL_MAX &&
			    m->ulen < outlen;

	for (j = 0; fit && j < m->ulen; j++)
		if ((unsigned char)name[j] < 0x21 ||
		    (unsigned char)name[j] > 0x7e)
			fit = 0;
	if (fit) {
		memcpy(out, name, m->ulen);
		out[m->ulen] = '\0';
		return;
	}
	/* Unfit for UIDL (RFC 1939 7): a stable digest of the unique name. */
	sha256(name, m->ulen, md);
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (outlen < 2)
		return;
	out[0] = 'H';
	for (k = 0; k < 16 && 2 * k + 3 < outlen; k++)
		(void)snprintf(out + 1 + 2 * k, 3, "%02x", md[k]);
	out[1 + 2 * k] = '\0';
}
