/*
 * libFuzzer target for the parsers of imapsession's state files, which
 * other programs (and a crash) may leave in any shape: facteur-uidlist
 * records (imapd/store_uidlist.c), facteur-cache records
 * (imapd/store_cache.c) and facteur-keywords (imapd/store_keywords.c).
 * The first byte picks one: odd, the UID list; 2, the keywords; else the
 * cache.  Checks: the UID list reports only complete records, UIDs that
 * grow, names without '/' or ':', and never more bytes used than given;
 * a cache record's fields lie inside it; the keywords loaded are at most
 * STORE_KEYWORDS_MAX, each a valid atom.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "store.h"
#include "store_cache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct seen {
	uint32_t	 last;
	const char	*base;
	size_t		 len;
};

static int
record(void *arg, uint32_t uid, uint32_t sd, const char *u, size_t ulen)
{
	struct seen	*s = arg;

	(void)sd;
	if (uid <= s->last || ulen == 0 || memchr(u, '/', ulen) != NULL ||
	    memchr(u, ':', ulen) != NULL || u < s->base ||
	    u + ulen > s->base + s->len)
		abort();
	s->last = uid;
	return 0;
}

static void
inside(const char *p, size_t n, const char *v, size_t vlen)
{
	if (v != NULL && (v < p || v + vlen > p + n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct folder		 f;
	struct seen		 s;
	struct mcache_rec	 r;
	const char		*p = (const char *)data + 1, *d, *u;
	size_t			 len, used, dlen, ulen;

	if (n == 0)
		return 0;
	len = n - 1;
	if (data[0] & 1) {
		memset(&f, 0, sizeof(f));
		memset(&s, 0, sizeof(s));
		s.base = p;
		s.len = len;
		if (uidlist_parse(&f, p, len, data[0] & 2, record, &s,
		    &used) == 0 && used > len)
			abort();
		return 0;
	}
	if (data[0] == 2) {
		memset(&f, 0, sizeof(f));
		if (keywords_parse(&f, p, len) == 0) {
			if (f.nkw > STORE_KEYWORDS_MAX)
				abort();
			for (used = 0; used < f.nkw; used++)
				if (!keyword_valid(f.kw[used],
				    strlen(f.kw[used])))
					abort();
		}
		keywords_free(&f);
		return 0;
	}
	while (len > 0 && netstring_decode(p, len, 1 << 20, &d, &dlen,
	    &used) == 1) {
		if (mcache_decode(d, dlen, &u, &ulen, &r) == 0) {
			inside(d, dlen, u, ulen);
			inside(d, dlen, r.env, r.envlen);
			inside(d, dlen, r.bs, r.bslen);
			inside(d, dlen, r.body, r.bodylen);
			inside(d, dlen, r.search, r.searchlen);
		}
		p += used;
		len -= used;
	}
	return 0;
}
