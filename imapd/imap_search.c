/*
 * imap_search: SEARCH and UID SEARCH (RFC 9051 6.4.4) with every search
 * key of RFC 9051 and RFC 3501, SAVEDBEFORE, SAVEDON, SAVEDSINCE and
 * SAVEDATESUPPORTED (RFC 8514), CHARSET US-ASCII and UTF-8, and the
 * result options MIN, MAX, ALL, COUNT (ESEARCH, RFC 4731) and SAVE
 * (SEARCHRES, RFC 5182).  ESEARCH responses are sent when a RETURN was
 * given or IMAP4rev2 is enabled; SEARCH responses otherwise.
 *
 * The keys become a small program of nodes, run against each message
 * with the cheapest data first: flags, UIDs and numbers, then what
 * facteur-cache knows (sizes, dates, the header fields most searches
 * name), then the message file for other header fields and for text.
 * Text is matched after decoding (RFC 2047 words, base64 and
 * quoted-printable bodies, charsets) under i;unicode-casemap
 * (lib/mime/mime_search.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "header_scan.h"
#include "imap_fetch.h"
#include "imapsession.h"
#include "log.h"
#include "mime_search.h"
#include "store_cache.h"

#define SEARCH_NODES_MAX	1024
#define SEARCH_STRING_MAX	(64 * 1024)
#define SEARCH_TEXT_MAX		(64 * 1024 * 1024)	/* text held at once */

enum skind {
	SK_ALL, SK_AND, SK_OR, SK_NOT, SK_FLAG, SK_NOFLAG, SK_KEYWORD,
	SK_UNKEYWORD, SK_NEW, SK_OLD, SK_RECENT, SK_SEQ, SK_UID,
	SK_LARGER, SK_SMALLER, SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE,
	SK_SENTON, SK_SENTSINCE, SK_SAVEDBEFORE, SK_SAVEDON, SK_SAVEDSINCE,
	SK_SAVEDATESUPPORTED, SK_HEADER, SK_BODY, SK_TEXT, SK_NONE
};

struct snode {
	enum skind	 kind;
	uint32_t	 a, b;		/* AND: first child, count; OR/NOT */
	uint8_t		 flag;
	uint32_t	 kw;		/* KEYWORD bit (0: unknown keyword) */
	uint64_t	 num;
	long		 day;		/* yyyymmdd */
	struct imap_seq	 set;
	const char	*field, *str;
	size_t		 flen, slen;
	char		*fname;		/* field, NUL-ended */
	struct mime_search *ms;		/* the string, prepared */
};

struct sprog {
	struct imap_session *s;
	struct snode	 n[SEARCH_NODES_MAX];
	size_t		 nn;
	uint32_t	 list[SEARCH_NODES_MAX];	/* AND children */
	size_t		 nlist;
	const char	*why;
};

/* Per message, what was read for it so far. */
struct sctx {
	struct msgdata	 md;
	int		 md_init;
	int		 fields_ok;	/* md.search holds the fields */
};

static const char *const *const cached_fields = md_search_names;

/* "1-Feb-1994" (RFC 9051 date): yyyymmdd, or -1. */
static long
search_date(const struct imap_arg *a)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char		 d[16];
	const char	*m;
	int		 day, year, i, k;

	if (imap_arg_copy(a, d, sizeof(d)) == -1)
		return -1;
	for (i = 0, day = 0; d[i] >= '0' && d[i] <= '9' && i < 2; i++)
		day = day * 10 + (d[i] - '0');
	if (i == 0 || d[i] != '-' || day < 1 || day > 31)
		return -1;
	for (m = months; *m != '\0'; m += 3)
		if (strncasecmp(m, d + i + 1, 3) == 0)
			break;
	if (*m == '\0' || d[i + 4] != '-')
		return -1;
	for (k = i + 5, year = 0; k < i + 9; k++) {
		if (d[k] < '0' || d[k] > '9')
			return -1;
		year = year * 10 + (d[k] - '0');
	}
	if (d[k] != '\0')
		return -1;
	return (long)year * 10000 + (long)((m - months) / 3 + 1) * 100 + day;
}

static long
day_of(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* The date of an RFC 5322 Date: value ("Tue, 1 Jul 2003 10:52:37 +0200"). */
static long
rfc5322_day(const char *v, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t		 i = 0;
	int		 day = 0, mon = -1, year = 0, k;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i < n && (v[i] < '0' || v[i] > '9')) {
		while (i < n && v[i] != ',')	/* day of week */
			i++;
		i++;
	}
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (k = 0; i < n && v[i] >= '0' && v[i] <= '9' && k < 2; i++, k++)
		day = day * 10 + (v[i] - '0');
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (k = 0; k < 12 && i + 3 <= n; k++)
		if (strncasecmp(v + i, months + 3 * k, 3) == 0) {
			mon = k;
			break;
		}
	if (day == 0 || mon == -1)
		return 0;
	i += 3;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (k = 0; i < n && v[i] >= '0' && v[i] <= '9' && k < 4; i++, k++)
		year = year * 10 + (v[i] - '0');
	if (k == 2)
		year += year < 50 ? 2000 : 1900;
	else if (k != 4)
		return 0;
	return (long)year * 10000 + (mon + 1) * 100 + day;
}

static uint32_t
node_new(struct sprog *p, enum skind k)
{
	if (p->nn == SEARCH_NODES_MAX)
		return UINT32_MAX;
	memset(&p->n[p->nn], 0, sizeof(p->n[p->nn]));
	p->n[p->nn].kind = k;
	return (uint32_t)p->nn++;
}

/* A string argument (astring): 0 with *s and *n, or -1. */
static int
search_str(const struct imap_arg *a, const char **s, size_t *n)
{
	if (a == NULL || !imap_arg_astring(a) ||
	    (a->flags & IMAP_ARGF_SPOOLED) || a->len > SEARCH_STRING_MAX ||
	    memchr(a->s, '\0', a->len) != NULL)
		return -1;
	*s = a->s;
	*n = a->len;
	return 0;
}

static uint32_t search_key(struct sprog *, const struct imap_arg **, int);

/* The node's string as a prepared search (and its field name). */
static int
search_prepare(struct sprog *p, struct snode *n)
{
	if (n->field != NULL && (n->fname = strndup(n->field,
	    n->flen)) == NULL)
		return -1;
	if ((n->ms = calloc(1, sizeof(*n->ms))) == NULL)
		return -1;
	if (mime_search_init(n->ms, n->str, n->slen, SEARCH_TEXT_MAX) == -1) {
		free(n->ms);
		n->ms = NULL;
		p->why = errno == EILSEQ ? "[BADCHARSET (UTF-8 US-ASCII)] "
		    "the search string is not valid UTF-8" : "out of memory";
		return -1;
	}
	return 0;
}

/* Keys up to the end of a's siblings: an AND node. */
static uint32_t
search_and(struct sprog *p, const struct imap_arg *a, int depth)
{
	uint32_t	 id, k, start = (uint32_t)p->nlist, cnt = 0;
	uint32_t	 tmp[SEARCH_NODES_MAX];

	if (a == NULL) {
		p->why = "search keys expected";
		return UINT32_MAX;
	}
	while (a != NULL) {
		if ((k = search_key(p, &a, depth + 1)) == UINT32_MAX)
			return UINT32_MAX;
		if (cnt == SEARCH_NODES_MAX)
			return UINT32_MAX;
		tmp[cnt++] = k;
	}
	if (p->nlist + cnt > SEARCH_NODES_MAX ||
	    (id = node_new(p, SK_AND)) == UINT32_MAX) {
		p->why = "too many search keys";
		return UINT32_MAX;
	}
	memcpy(p->list + p->nlist, tmp, cnt * sizeof(tmp[0]));
	p->nlist += cnt;
	p->n[id].a = start;
	p->n[id].b = cnt;
	return id;
}

static const struct {
	const char	*name;
	enum skind	 kind;
	uint8_t		 flag;
} flag_keys[] = {
	{ "ANSWERED", SK_FLAG, MSG_ANSWERED },
	{ "DELETED", SK_FLAG, MSG_DELETED },
	{ "DRAFT", SK_FLAG, MSG_DRAFT }, { "FLAGGED", SK_FLAG, MSG_FLAGGED },
	{ "SEEN", SK_FLAG, MSG_SEEN }, { "UNANSWERED", SK_NOFLAG, MSG_ANSWERED },
	{ "UNDELETED", SK_NOFLAG, MSG_DELETED },
	{ "UNDRAFT", SK_NOFLAG, MSG_DRAFT },
	{ "UNFLAGGED", SK_NOFLAG, MSG_FLAGGED },
	{ "UNSEEN", SK_NOFLAG, MSG_SEEN }, { "ALL", SK_ALL, 0 },
	{ "NEW", SK_NEW, 0 }, { "OLD", SK_OLD, 0 }, { "RECENT", SK_RECENT, 0 },
	{ "SAVEDATESUPPORTED", SK_SAVEDATESUPPORTED, 0 },
	{ NULL, SK_NONE, 0 }
};

static const struct {
	const char	*name;
	enum skind	 kind;
} date_keys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE }, { "SAVEDBEFORE", SK_SAVEDBEFORE },
	{ "SAVEDON", SK_SAVEDON }, { "SAVEDSINCE", SK_SAVEDSINCE },
	{ NULL, SK_NONE }
};

/* One key at *ap (advancing it).  The node, or UINT32_MAX with why. */
static uint32_t
search_key(struct sprog *p, const struct imap_arg **ap, int depth)
{
	struct imap_session	*s = p->s;
	const struct imap_arg	*a = *ap, *v;
	const char		*why;
	uint32_t		 id, x, y;
	size_t			 k;
	int			 kw;

	*ap = imap_arg_next(&s->cmd, a);
	if (depth > IMAP_DEPTH_MAX * 2) {
		p->why = "search nested too deep";
		return UINT32_MAX;
	}
	if (a->type == IMAP_ARG_LIST) {
		if (a->count == 0) {
			p->why = "empty search key list";
			return UINT32_MAX;
		}
		return search_and(p, imap_arg_child(&s->cmd, a), depth);
	}
	if (a->type != IMAP_ARG_ATOM) {
		p->why = "search key expected";
		return UINT32_MAX;
	}
	for (k = 0; flag_keys[k].name != NULL; k++)
		if (imap_arg_is(a, flag_keys[k].name)) {
			if ((id = node_new(p, flag_keys[k].kind)) != UINT32_MAX)
				p->n[id].flag = flag_keys[k].flag;
			return id;
		}
	v = *ap;
	if (imap_arg_is(a, "NOT")) {
		if (v == NULL ||
		    (x = search_key(p, ap, depth + 1)) == UINT32_MAX ||
		    (id = node_new(p, SK_NOT)) == UINT32_MAX)
			goto bad;
		p->n[id].a = x;
		return id;
	}
	if (imap_arg_is(a, "OR")) {
		if (v == NULL ||
		    (x = search_key(p, ap, depth + 1)) == UINT32_MAX ||
		    *ap == NULL ||
		    (y = search_key(p, ap, depth + 1)) == UINT32_MAX ||
		    (id = node_new(p, SK_OR)) == UINT32_MAX)
			goto bad;
		p->n[id].a = x;
		p->n[id].b = y;
		return id;
	}
	for (k = 0; date_keys[k].name != NULL; k++)
		if (imap_arg_is(a, date_keys[k].name)) {
			long d;

			if (v == NULL || (d = search_date(v)) == -1) {
				p->why = "bad search date";
				return UINT32_MAX;
			}
			*ap = imap_arg_next(&s->cmd, v);
			if ((id = node_new(p, date_keys[k].kind)) != UINT32_MAX)
				p->n[id].day = d;
			return id;
		}
	if (imap_arg_is(a, "LARGER") || imap_arg_is(a, "SMALLER")) {
		uint64_t	 num;

		if (v == NULL || imap_arg_number64(v, &num) == -1) {
			p->why = "bad size";
			return UINT32_MAX;
		}
		*ap = imap_arg_next(&s->cmd, v);
		id = node_new(p, imap_arg_is(a, "LARGER") ? SK_LARGER :
		    SK_SMALLER);
		if (id != UINT32_MAX)
			p->n[id].num = num;
		return id;
	}
	if (imap_arg_is(a, "KEYWORD") || imap_arg_is(a, "UNKEYWORD")) {
		char	 name[STORE_KEYWORD_LEN + 1];

		if (v == NULL || v->type != IMAP_ARG_ATOM ||
		    imap_arg_copy(v, name, sizeof(name)) == -1 ||
		    !keyword_valid(name, strlen(name))) {
			p->why = "bad keyword";
			return UINT32_MAX;
		}
		*ap = imap_arg_next(&s->cmd, v);
		id = node_new(p, imap_arg_is(a, "KEYWORD") ? SK_KEYWORD :
		    SK_UNKEYWORD);
		if (id != UINT32_MAX && (kw = keywords_index(&s->box, name,
		    0)) >= 0)
			p->n[id].kw = 1U << kw;
		return id;
	}
	if (imap_arg_is(a, "UID")) {
		if (v == NULL || v->type != IMAP_ARG_ATOM ||
		    (id = node_new(p, SK_UID)) == UINT32_MAX)
			goto bad;
		if (imap_seq_parse(&p->n[id].set, v->s, v->len, s->box.maxuid,
		    1, &why) == -1) {
			p->why = why;
			p->nn--;
			return UINT32_MAX;
		}
		*ap = imap_arg_next(&s->cmd, v);
		return id;
	}
	if (imap_arg_is(a, "HEADER")) {
		const struct imap_arg *w = imap_arg_next(&s->cmd, v);

		if ((id = node_new(p, SK_HEADER)) == UINT32_MAX ||
		    search_str(v, &p->n[id].field, &p->n[id].flen) == -1 ||
		    search_str(w, &p->n[id].str, &p->n[id].slen) == -1 ||
		    search_prepare(p, &p->n[id]) == -1)
			goto bad;
		*ap = imap_arg_next(&s->cmd, w);
		return id;
	}
	for (k = 0; cached_fields[k] != NULL; k++)
		if (strcmp(cached_fields[k], "Date") != 0 &&
		    imap_arg_is(a, cached_fields[k])) {
			if ((id = node_new(p, SK_HEADER)) == UINT32_MAX ||
			    search_str(v, &p->n[id].str, &p->n[id].slen) == -1)
				goto bad;
			p->n[id].field = cached_fields[k];
			p->n[id].flen = strlen(cached_fields[k]);
			if (search_prepare(p, &p->n[id]) == -1)
				goto bad;
			*ap = imap_arg_next(&s->cmd, v);
			return id;
		}
	if (imap_arg_is(a, "BODY") || imap_arg_is(a, "TEXT")) {
		if ((id = node_new(p, imap_arg_is(a, "BODY") ? SK_BODY :
		    SK_TEXT)) == UINT32_MAX ||
		    search_str(v, &p->n[id].str, &p->n[id].slen) == -1 ||
		    search_prepare(p, &p->n[id]) == -1)
			goto bad;
		*ap = imap_arg_next(&s->cmd, v);
		return id;
	}
	/* A sequence set. */
	if ((id = node_new(p, SK_SEQ)) == UINT32_MAX)
		goto bad;
	if (imap_seq_parse(&p->n[id].set, a->s, a->len, (uint32_t)s->box.n, 1,
	    &why) == -1) {
		p->nn--;
		p->why = "unknown search key";
		return UINT32_MAX;
	}
	return id;
bad:
	if (p->why == NULL)
		p->why = "bad search key arguments";
	return UINT32_MAX;
}

/* The message's SEARCH fields (md_search_fields): 0 or -1. */
static int
sctx_fields(struct sprog *p, struct sctx *c, size_t i)
{
	(void)p;
	(void)i;
	if (c->fields_ok)
		return 0;
	if (md_search_fields(&c->md) == -1)
		return -1;
	c->fields_ok = 1;
	return 0;
}

/* Runs fn on each value of field name: 1 when it matched once. */
static int
sctx_field_match(struct sprog *p, struct sctx *c, size_t i,
    const struct snode *n, long *day)
{
	struct header_scan	 hs;
	struct header_field	 hf;
	const char		*q, *end, *name, *val;
	size_t			 k, vlen;
	int			 cached = 0, r;

	for (k = 0; cached_fields[k] != NULL; k++)
		if (strlen(cached_fields[k]) == n->flen &&
		    strncasecmp(cached_fields[k], n->field, n->flen) == 0)
			cached = 1;
	if (cached) {
		if (sctx_fields(p, c, i) == -1)
			return -1;
		q = c->md.search.data;
		end = q + c->md.search.len;
		while (q != NULL && q < end) {
			name = q;
			if ((q = memchr(q, '\0', (size_t)(end - q))) == NULL)
				break;
			val = ++q;
			if ((q = memchr(q, '\0', (size_t)(end - q))) == NULL)
				break;
			vlen = (size_t)(q - val);
			q++;
			if (strlen(name) != n->flen ||
			    strncasecmp(name, n->field, n->flen) != 0)
				continue;
			if (day != NULL) {
				*day = rfc5322_day(val, vlen);
				return 1;
			}
			if (n->slen == 0)
				return 1;
			if ((r = mime_search_value(n->ms, val, vlen)) != 0)
				return r;
		}
		return 0;
	}
	if (md_header(&c->md) == -1)
		return -1;
	if (n->slen == 0) {
		header_scan_init(&hs, c->md.hdr.data, c->md.hdr.len);
		while (header_scan_next(&hs, &hf))
			if (hf.namelen == n->flen &&
			    strncasecmp(hf.name, n->field, n->flen) == 0)
				return 1;
		return 0;
	}
	return mime_search_header(n->ms, c->md.hdr.data != NULL ?
	    c->md.hdr.data : "", c->md.hdr.len, n->fname);
}

static int
search_eval(struct sprog *p, uint32_t id, struct sctx *c, size_t i)
{
	struct imap_session	*s = p->s;
	const struct snode	*n = &p->n[id];
	const struct msg	*m = &s->box.msgs[i];
	struct snode		 date;
	long			 day = 0;
	uint32_t		 k;
	int			 r;

	switch (n->kind) {
	case SK_ALL:
	case SK_SAVEDATESUPPORTED:
		return 1;
	case SK_AND:
		for (k = 0; k < n->b; k++)
			if ((r = search_eval(p, p->list[n->a + k], c, i)) != 1)
				return r;
		return 1;
	case SK_OR:
		if ((r = search_eval(p, n->a, c, i)) != 0)
			return r;
		return search_eval(p, n->b, c, i);
	case SK_NOT:
		r = search_eval(p, n->a, c, i);
		return r == -1 ? -1 : !r;
	case SK_FLAG:
		return (m->flags & n->flag) != 0;
	case SK_NOFLAG:
		return (m->flags & n->flag) == 0;
	case SK_KEYWORD:
		return (m->kw & n->kw) != 0;
	case SK_UNKEYWORD:
		return n->kw == 0 || (m->kw & n->kw) == 0;
	case SK_NEW:
		return (m->flags & MSG_RECENT) && !(m->flags & MSG_SEEN);
	case SK_OLD:
		return !(m->flags & MSG_RECENT);
	case SK_RECENT:
		return (m->flags & MSG_RECENT) != 0;
	case SK_SEQ:
		return n->set.saved ? imap_seq_contains(&s->saved, m->uid) :
		    imap_seq_contains(&n->set, (uint32_t)i + 1);
	case SK_UID:
		return n->set.saved ? imap_seq_contains(&s->saved, m->uid) :
		    imap_seq_contains(&n->set, m->uid);
	case SK_LARGER:
	case SK_SMALLER:
		if (md_sizes(&c->md) == -1)
			return -1;
		return n->kind == SK_LARGER ? c->md.wire > n->num :
		    c->md.wire < n->num;
	case SK_BEFORE:
	case SK_ON:
	case SK_SINCE:
		if (md_date(&c->md) == -1)
			return -1;
		day = day_of(c->md.date);
		break;
	case SK_SAVEDBEFORE:
	case SK_SAVEDON:
	case SK_SAVEDSINCE:
		if (m->savedate == 0)
			return 0;
		day = day_of((time_t)m->savedate);
		break;
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		memset(&date, 0, sizeof(date));
		date.field = "Date";
		date.flen = 4;
		if ((r = sctx_field_match(p, c, i, &date, &day)) != 1)
			return r;
		if (day == 0)
			return 0;
		break;
	case SK_HEADER:
		return sctx_field_match(p, c, i, n, NULL);
	case SK_BODY:
	case SK_TEXT:
		if (md_tree(&c->md, 1) == -1)
			return -1;
		return n->kind == SK_BODY ? mime_search_body(n->ms,
		    c->md.tree) : mime_search_text(n->ms, c->md.tree);
	case SK_NONE:
		return 0;
	}
	switch (n->kind) {
	case SK_BEFORE:
	case SK_SAVEDBEFORE:
	case SK_SENTBEFORE:
		return day < n->day;
	case SK_ON:
	case SK_SAVEDON:
	case SK_SENTON:
		return day == n->day;
	default:
		return day >= n->day;
	}
}

#define RET_MIN		0x1
#define RET_MAX		0x2
#define RET_ALL		0x4
#define RET_COUNT	0x8
#define RET_SAVE	0x10

static void
search_free(struct sprog *p)
{
	size_t	 k;

	for (k = 0; k < p->nn; k++) {
		imap_seq_free(&p->n[k].set);
		free(p->n[k].fname);
		if (p->n[k].ms != NULL) {
			mime_search_free(p->n[k].ms);
			free(p->n[k].ms);
		}
	}
}

/* The results as "* SEARCH" or "* ESEARCH"; saves them with SAVE. */
static int
search_reply(struct imap_session *s, const struct imap_seq *res, size_t count,
    int ret, int esearch)
{
	struct folder	*f = &s->box;
	struct imap_seq	 out;
	uint32_t	 i, v, mn = 0, mx = 0;
	size_t		 k;

	memset(&out, 0, sizeof(out));
	for (k = 0; k < res->n; k++)
		for (i = res->r[k].lo; ; i++) {
			v = s->uid ? f->msgs[i].uid : i + 1;
			if (mn == 0)
				mn = v;
			mx = v;
			if (imap_seq_add(&out, v, v) == -1)
				return -1;
			if (i == res->r[k].hi)
				break;
		}
	imap_seq_normalize(&out);
	if (ret & RET_SAVE) {
		/* RFC 5182 2.4: with MIN or MAX, only those are saved. */
		imap_seq_free(&s->saved);
		for (k = 0; k < res->n; k++)
			for (i = res->r[k].lo; ; i++) {
				v = f->msgs[i].uid;
				if ((!(ret & (RET_MIN | RET_MAX)) ||
				    ((ret & RET_MIN) && (s->uid ? v : i + 1) ==
				    mn) || ((ret & RET_MAX) &&
				    (s->uid ? v : i + 1) == mx)) &&
				    imap_seq_add(&s->saved, v, v) == -1)
					break;
				if (i == res->r[k].hi)
					break;
			}
		imap_seq_normalize(&s->saved);
		s->saved_ok = 1;
	}
	buf_reset(&s->out);
	if (!esearch) {
		if (buf_append_str(&s->out, "* SEARCH") == -1)
			goto fail;
		for (k = 0; k < out.n; k++)
			for (v = out.r[k].lo; ; v++) {
				if (buf_printf(&s->out, " %u", v) == -1)
					goto fail;
				if (v == out.r[k].hi)
					break;
			}
		if (buf_append_str(&s->out, "\r\n") == -1)
			goto fail;
	} else if (ret != RET_SAVE) {
		if (buf_append_str(&s->out, "* ESEARCH (TAG ") == -1 ||
		    resp_string(&s->out, s->cmd.tag, strlen(s->cmd.tag), 0) ==
		    -1 || buf_putc(&s->out, ')') == -1 ||
		    (s->uid && buf_append_str(&s->out, " UID") == -1))
			goto fail;
		if ((ret & RET_MIN) && count > 0 &&
		    buf_printf(&s->out, " MIN %u", mn) == -1)
			goto fail;
		if ((ret & RET_MAX) && count > 0 &&
		    buf_printf(&s->out, " MAX %u", mx) == -1)
			goto fail;
		if ((ret & RET_ALL) && count > 0 &&
		    (buf_append_str(&s->out, " ALL ") == -1 ||
		    imap_seq_format(&out, &s->out) == -1))
			goto fail;
		if ((ret & RET_COUNT) && buf_printf(&s->out, " COUNT %zu",
		    count) == -1)
			goto fail;
		if (buf_append_str(&s->out, "\r\n") == -1)
			goto fail;
	}
	imap_seq_free(&out);
	return resp_send(s, &s->out);
fail:
	imap_seq_free(&out);
	return -1;
}

int
cmd_search(struct imap_session *s)
{
	struct sprog		*p;
	struct sctx		 c;
	struct imap_seq		 res;
	const struct imap_arg	*a = s->args, *o;
	size_t			 i, count = 0;
	uint32_t		 root;
	int			 ret = 0, esearch = s->rev2, r, err = 0;

	if (a != NULL && imap_arg_is(a, "RETURN")) {
		a = imap_arg_next(&s->cmd, a);
		if (a == NULL || a->type != IMAP_ARG_LIST)
			return imap_bad(s, "RETURN takes a list of options");
		for (o = imap_arg_child(&s->cmd, a); o != NULL;
		    o = imap_arg_next(&s->cmd, o)) {
			if (imap_arg_is(o, "MIN"))
				ret |= RET_MIN;
			else if (imap_arg_is(o, "MAX"))
				ret |= RET_MAX;
			else if (imap_arg_is(o, "ALL"))
				ret |= RET_ALL;
			else if (imap_arg_is(o, "COUNT"))
				ret |= RET_COUNT;
			else if (imap_arg_is(o, "SAVE"))
				ret |= RET_SAVE;
			else
				return imap_bad(s, "unknown RETURN option");
		}
		esearch = 1;
		a = imap_arg_next(&s->cmd, a);
	}
	if (esearch && (ret & ~RET_SAVE) == 0 && !(ret == RET_SAVE))
		ret |= RET_ALL;
	if (a != NULL && imap_arg_is(a, "CHARSET")) {
		a = imap_arg_next(&s->cmd, a);
		if (a == NULL || !imap_arg_astring(a))
			return imap_bad(s, "CHARSET takes a name");
		if (!(a->len == 5 && strncasecmp(a->s, "UTF-8", 5) == 0) &&
		    !(a->len == 8 && strncasecmp(a->s, "US-ASCII", 8) == 0))
			return imap_no(s, "[BADCHARSET (UTF-8 US-ASCII)] "
			    "unsupported charset");
		a = imap_arg_next(&s->cmd, a);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return imap_no(s, "[SERVERBUG] out of memory");
	p->s = s;
	if ((root = search_and(p, a, 0)) == UINT32_MAX) {
		search_free(p);
		(void)imap_bad(s, "%s", p->why != NULL ? p->why :
		    "bad search keys");
		free(p);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	for (i = 0; i < s->box.n; i++) {
		if (s->box.msgs[i].state & MSGS_GONE)
			continue;
		md_init(&c.md, s, i);
		c.fields_ok = 0;
		r = search_eval(p, root, &c, i);
		md_remember(&c.md);
		md_free(&c.md);
		if (r == -1) {
			if (errno != ENOENT)
				err = 1;
			continue;
		}
		if (r == 1) {
			count++;
			if (imap_seq_add(&res, (uint32_t)i, (uint32_t)i) == -1) {
				err = 1;
				break;
			}
		}
		if (s->box.cache.pending.len > MCACHE_FLUSH_AT)
			(void)mcache_flush(&s->box);
	}
	search_free(p);
	free(p);
	imap_seq_normalize(&res);
	if (err) {
		imap_seq_free(&res);
		log_warn("user=<%s>: search in %s", s->user, s->box.name);
		return imap_no(s, "[SERVERBUG] some messages could not be read");
	}
	r = search_reply(s, &res, count, ret, esearch);
	imap_seq_free(&res);
	if (r == -1)
		return -1;
	return imap_ok(s, "SEARCH completed");
}
