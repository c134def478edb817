/*
 * imap_search_keys: the keys of SEARCH (RFC 9051 6.4.4 and RFC 3501:
 * flags, sizes, dates, header fields, text, UIDs and sequence sets, NOT,
 * OR and parenthesized lists; SAVEDBEFORE, SAVEDON, SAVEDSINCE and
 * SAVEDATESUPPORTED of RFC 8514) as a program of nodes for imap_search.c.
 * Strings are prepared once for lib/mime's matcher (which checks they
 * are UTF-8); keywords are looked up, never added; "$" is the saved
 * result (RFC 5182).  At most SEARCH_NODES_MAX keys, nested as deep as
 * the command's parentheses allow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imap_fetch.h"
#include "imap_search.h"
#include "mime_search.h"

static const char *const *const cached_fields = md_search_names;

/* "1-Feb-1994" (RFC 9051 date), a day the month has: yyyymmdd, or -1. */
static long
search_date(const struct imap_arg *a)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
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
	k = (int)((m - months) / 3);
	if (day > mdays[k] || (k == 1 && day == 29 && (year % 4 != 0 ||
	    (year % 100 == 0 && year % 400 != 0))))
		return -1;
	return (long)year * 10000 + (long)(k + 1) * 100 + day;
}

long
search_day_of(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* The date of an RFC 5322 Date: value ("Tue, 1 Jul 2003 10:52:37 +0200"). */
long
search_rfc5322_day(const char *v, size_t n)
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

/*
 * Keys up to the end of a's siblings: an AND node.  Its children go to
 * p->list after theirs (a nested list puts its own there first), so the
 * node's slice starts where p->list ends once every child is parsed.
 */
static uint32_t
search_and(struct sprog *p, const struct imap_arg *a, int depth)
{
	uint32_t	 id, k, start, cnt = 0;
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
	start = (uint32_t)p->nlist;
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

void
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

uint32_t
search_parse(struct sprog *p, const struct imap_arg *a)
{
	return search_and(p, a, 0);
}
