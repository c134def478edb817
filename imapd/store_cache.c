/*
 * store_cache: facteur-cache (see store_cache.h): mapping, indexing by
 * the folder's unique names, merging what a session learns, appending it
 * and compacting the file.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "netstring.h"
#include "store.h"
#include "store_cache.h"

#define CACHE_TMP	"facteur-cache.tmp"
#define CACHE_FILE_MAX	(1U << 31)	/* offsets fit below the pending bit */
#define RECORD_MAX	(8 * MCACHE_FIELD_MAX)
#define COMPACT_MIN	(1024 * 1024)

/* Parses one field at p: tag, value.  Bytes used, or 0 when malformed. */
static size_t
cache_field(const char *p, size_t n, char *tag, const char **v, size_t *vlen)
{
	size_t	 used;

	if (n < 4)
		return 0;
	*tag = p[0];
	if (netstring_decode(p + 1, n - 1, MCACHE_FIELD_MAX, v, vlen,
	    &used) != 1)
		return 0;
	return used + 1;
}

static uint64_t
cache_num(const char *s, size_t n)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < n && i < 19 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

int
mcache_decode(const char *p, size_t n, const char **u, size_t *ulen,
    struct mcache_rec *r)
{
	const char	*v;
	size_t		 vlen, used;
	char		 tag;

	memset(r, 0, sizeof(*r));
	*u = NULL;
	*ulen = 0;
	while (n > 0) {
		if ((used = cache_field(p, n, &tag, &v, &vlen)) == 0)
			return -1;
		switch (tag) {
		case 'u': *u = v; *ulen = vlen; break;
		case 'r': r->raw = cache_num(v, vlen); r->have |= MCF_RAW; break;
		case 'w': r->wire = cache_num(v, vlen); r->have |= MCF_WIRE;
			break;
		case 'h': r->hdr = cache_num(v, vlen); r->have |= MCF_HDR; break;
		case 'l': r->lines = cache_num(v, vlen); r->have |= MCF_LINES;
			break;
		case 'd': r->date = (int64_t)cache_num(v, vlen);
			r->have |= MCF_DATE; break;
		case 'e': r->env = v; r->envlen = vlen; r->have |= MCF_ENV;
			break;
		case 'b': r->bs = v; r->bslen = vlen; r->have |= MCF_BS; break;
		case 'B': r->body = v; r->bodylen = vlen; r->have |= MCF_BODY;
			break;
		case 's': r->search = v; r->searchlen = vlen;
			r->have |= MCF_SEARCH; break;
		default: break;		/* a field of a later version */
		}
		p += used;
		n -= used;
	}
	return *u != NULL && *ulen > 0 ? 0 : -1;
}

static int
cache_put_num(struct buf *b, char tag, uint64_t v)
{
	char	 s[24];
	int	 n = snprintf(s, sizeof(s), "%llu", (unsigned long long)v);

	return buf_putc(b, tag) == -1 || netstring_encode(b, s,
	    (size_t)n) == -1 ? -1 : 0;
}

static int
cache_put_str(struct buf *b, char tag, const char *s, size_t n)
{
	return buf_putc(b, tag) == -1 || netstring_encode(b, s, n) == -1 ?
	    -1 : 0;
}

/* Appends the record of unique u with r's fields to b. */
static int
cache_encode(struct buf *b, const char *u, size_t ulen,
    const struct mcache_rec *r)
{
	struct buf	 p;
	int		 ret = -1;

	buf_init(&p, RECORD_MAX);
	if (cache_put_str(&p, 'u', u, ulen) == -1 ||
	    ((r->have & MCF_RAW) && cache_put_num(&p, 'r', r->raw) == -1) ||
	    ((r->have & MCF_WIRE) && cache_put_num(&p, 'w', r->wire) == -1) ||
	    ((r->have & MCF_HDR) && cache_put_num(&p, 'h', r->hdr) == -1) ||
	    ((r->have & MCF_LINES) && cache_put_num(&p, 'l', r->lines) == -1) ||
	    ((r->have & MCF_DATE) && cache_put_num(&p, 'd',
	    (uint64_t)r->date) == -1) ||
	    ((r->have & MCF_ENV) && cache_put_str(&p, 'e', r->env,
	    r->envlen) == -1) ||
	    ((r->have & MCF_BS) && cache_put_str(&p, 'b', r->bs,
	    r->bslen) == -1) ||
	    ((r->have & MCF_BODY) && cache_put_str(&p, 'B', r->body,
	    r->bodylen) == -1) ||
	    ((r->have & MCF_SEARCH) && cache_put_str(&p, 's', r->search,
	    r->searchlen) == -1))
		goto out;
	ret = netstring_encode(b, p.data, p.len);
out:
	buf_free(&p);
	return ret;
}

static void
cache_unmap(struct mcache *c)
{
	if (c->map != NULL)
		(void)munmap((void *)c->map, c->maplen);
	c->map = NULL;
	c->maplen = 0;
}

/* Maps fd whole; the length of its whole records in *good. */
static int
cache_map(struct mcache *c, int fd, size_t *good)
{
	struct stat	 st;
	const char	*d;
	size_t		 dlen, used, pos = 0;
	void		*m;

	cache_unmap(c);
	*good = 0;
	if (fstat(fd, &st) == -1)
		return -1;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (st.st_size == 0 || (uint64_t)st.st_size >= CACHE_FILE_MAX)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	c->map = m;
	c->maplen = (size_t)st.st_size;
	while (pos < c->maplen && netstring_decode(c->map + pos,
	    c->maplen - pos, RECORD_MAX, &d, &dlen, &used) == 1)
		pos += used;
	*good = pos;
	return 0;
}

int
mcache_load(struct folder *f)
{
	size_t	 good;
	int	 fd, r;

	f->cache.loaded = 1;
	fd = openat(f->dirfd, STORE_CACHE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	r = cache_map(&f->cache, fd, &good);
	(void)close(fd);
	if (r == 0)
		f->cache.maplen = good;	/* a cut tail is not ours to read */
	return r;
}

/*
 * Indexes the mapping: each message from `from` on gets the offset of
 * its unique name's last record.
 */
int
mcache_index(struct folder *f, size_t from)
{
	struct mcache_rec	 r;
	const char		*d, *u;
	size_t			 dlen, used, ulen, pos = 0, i, k;
	uint32_t		*hash = NULL, h;
	size_t			 hcap = 1;

	for (i = from; i < f->n; i++)
		f->msgs[i].cache = MCACHE_NONE;
	if (from >= f->n || f->cache.map == NULL || !f->cache.loaded)
		return 0;
	/* A small hash of the messages to index: unique name -> index. */
	while (hcap < (f->n - from) * 2)
		hcap *= 2;
	if ((hash = calloc(hcap, sizeof(*hash))) == NULL)
		return -1;
	for (i = from; i < f->n; i++) {
		const char *nm = f->names + f->msgs[i].name;

		h = 2166136261U;
		for (k = 0; k < f->msgs[i].ulen; k++)
			h = (h ^ (unsigned char)nm[k]) * 16777619U;
		for (k = h & (hcap - 1); hash[k] != 0; k = (k + 1) & (hcap - 1))
			;
		hash[k] = (uint32_t)i + 1;
	}
	while (pos < f->cache.maplen && netstring_decode(f->cache.map + pos,
	    f->cache.maplen - pos, RECORD_MAX, &d, &dlen, &used) == 1) {
		if (mcache_decode(d, dlen, &u, &ulen, &r) == 0) {
			h = 2166136261U;
			for (k = 0; k < ulen; k++)
				h = (h ^ (unsigned char)u[k]) * 16777619U;
			for (k = h & (hcap - 1); hash[k] != 0;
			    k = (k + 1) & (hcap - 1)) {
				i = hash[k] - 1;
				if (f->msgs[i].ulen == ulen && memcmp(f->names +
				    f->msgs[i].name, u, ulen) == 0) {
					f->msgs[i].cache = (uint32_t)pos;
					break;
				}
			}
		}
		pos += used;
	}
	free(hash);
	return 0;
}

/* Maps and indexes the file at its first use in the session. */
static void
mcache_ensure(struct folder *f)
{
	if (f->cache.loaded)
		return;
	f->cache.loaded = 1;
	if (mcache_load(f) == 0)
		(void)mcache_index(f, 0);
}

void
mcache_release(struct folder *f)
{
	/* The pages stay in the page cache; this process stops holding
	   them, so an idle session costs no more for a big folder. */
	if (f->cache.map != NULL)
		(void)madvise((void *)f->cache.map, f->cache.maplen,
		    MADV_DONTNEED);
}

int
mcache_get(struct folder *f, size_t i, struct mcache_rec *r)
{
	const struct mcache	*c = &f->cache;
	uint32_t		 off;
	const char		*base, *d, *u;
	size_t			 len, dlen, used, ulen;

	mcache_ensure(f);
	off = f->msgs[i].cache;
	memset(r, 0, sizeof(*r));
	if (off == MCACHE_NONE)
		return 0;
	if (off & MCACHE_PENDING_BIT) {
		base = c->pending.data;
		len = c->pending.len;
		off &= ~MCACHE_PENDING_BIT;
	} else {
		base = c->map;
		len = c->maplen;
	}
	if (base == NULL || off >= len ||
	    netstring_decode(base + off, len - off, RECORD_MAX, &d, &dlen,
	    &used) != 1 || mcache_decode(d, dlen, &u, &ulen, r) == -1)
		return 0;
	return 1;
}

int
mcache_put(struct folder *f, size_t i, const struct mcache_rec *add)
{
	struct mcache_rec	 r;
	struct buf		 tmp;
	size_t			 off;
	int			 ret;

	if (f->cache.pending.len > MCACHE_PENDING_MAX - RECORD_MAX)
		return -1;
	(void)mcache_get(f, i, &r);	/* loads the file first */
	/* The merged record is built aside: r may point into pending. */
	if (add->have & MCF_RAW)
		r.raw = add->raw;
	if (add->have & MCF_WIRE)
		r.wire = add->wire;
	if (add->have & MCF_HDR)
		r.hdr = add->hdr;
	if (add->have & MCF_LINES)
		r.lines = add->lines;
	if (add->have & MCF_DATE)
		r.date = add->date;
	if (add->have & MCF_ENV) {
		r.env = add->env;
		r.envlen = add->envlen;
	}
	if (add->have & MCF_BS) {
		r.bs = add->bs;
		r.bslen = add->bslen;
	}
	if (add->have & MCF_BODY) {
		r.body = add->body;
		r.bodylen = add->bodylen;
	}
	if (add->have & MCF_SEARCH) {
		r.search = add->search;
		r.searchlen = add->searchlen;
	}
	r.have |= add->have;
	buf_init(&tmp, RECORD_MAX + 16);
	ret = cache_encode(&tmp, f->names + f->msgs[i].name, f->msgs[i].ulen,
	    &r);
	off = f->cache.pending.len;
	if (ret == 0)
		ret = buf_append(&f->cache.pending, tmp.data, tmp.len);
	buf_free(&tmp);
	if (ret == 0)
		f->msgs[i].cache = MCACHE_PENDING_BIT | (uint32_t)off;
	return ret;
}

/* Rewrites the file with the records of the folder's messages only. */
static int
cache_compact(struct folder *f)
{
	struct mcache_rec	 r;
	struct buf		 b;
	size_t			 i;
	int			 fd, ret = -1, save;

	buf_init(&b, CACHE_FILE_MAX - 1);
	for (i = 0; i < f->n; i++)
		if (mcache_get(f, i, &r) == 1 && cache_encode(&b,
		    f->names + f->msgs[i].name, f->msgs[i].ulen, &r) == -1)
			goto out;
	fd = openat(f->dirfd, CACHE_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto out;
	if (fd_write_full(fd, b.data, b.len) == -1) {
		save = errno;
		(void)close(fd);
		(void)unlinkat(f->dirfd, CACHE_TMP, 0);
		errno = save;
		goto out;
	}
	if (close(fd) == -1 || renameat(f->dirfd, CACHE_TMP, f->dirfd,
	    STORE_CACHE) == -1) {
		(void)unlinkat(f->dirfd, CACHE_TMP, 0);
		goto out;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

int
mcache_flush(struct folder *f)
{
	struct mcache	*c = &f->cache;
	struct stat	 st;
	size_t		 good, live = 0, i;
	int		 fd, ret = -1;

	if (c->pending.len == 0)
		return 0;
	mcache_ensure(f);
	fd = openat(f->dirfd, STORE_CACHE, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		goto drop;
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1)
		goto out;
	if ((uint64_t)st.st_size + c->pending.len >= CACHE_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	/* Cut a torn tail: only whole records may precede ours. */
	if (cache_map(c, fd, &good) == -1)
		goto out;
	if (good < (size_t)st.st_size && ftruncate(fd, (off_t)good) == -1)
		goto out;
	if (lseek(fd, (off_t)good, SEEK_SET) == -1 ||
	    fd_write_full(fd, c->pending.data, c->pending.len) == -1)
		goto out;
	if (cache_map(c, fd, &good) == -1)
		goto out;
	buf_reset(&c->pending);
	(void)mcache_index(f, 0);
	for (i = 0; i < f->n; i++)
		if (f->msgs[i].cache != MCACHE_NONE) {
			const char	*d;
			size_t		 dlen, used;

			if (netstring_decode(c->map + f->msgs[i].cache,
			    c->maplen - f->msgs[i].cache, RECORD_MAX, &d, &dlen,
			    &used) == 1)
				live += used;
		}
	c->live = live;
	if (c->maplen > COMPACT_MIN && live < c->maplen / 2 &&
	    cache_compact(f) == 0 && mcache_load(f) == 0)
		(void)mcache_index(f, 0);
	ret = 0;
out:
	/* Unlocked by hand: the mapping keeps the file open, and its lock. */
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
drop:
	if (ret == -1) {
		/* What could not be written is learnt again later. */
		buf_reset(&c->pending);
		(void)mcache_index(f, 0);
	}
	return ret;
}

void
mcache_close(struct folder *f)
{
	cache_unmap(&f->cache);
	buf_free(&f->cache.pending);
}
