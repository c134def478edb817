/*
 * imap_search: SEARCH and UID SEARCH (RFC 9051 6.4.4) with every search
 * key of RFC 9051 and RFC 3501, SAVEDBEFORE, SAVEDON, SAVEDSINCE and
 * SAVEDATESUPPORTED (RFC 8514), CHARSET US-ASCII and UTF-8, and the
 * result options MIN, MAX, ALL, COUNT (ESEARCH, RFC 4731) and SAVE
 * (SEARCHRES, RFC 5182).  ESEARCH responses are sent when a RETURN was
 * given or IMAP4rev2 is enabled; SEARCH responses otherwise.
 *
 * The keys become a small program of nodes (imap_search_keys.c), run
 * against each message
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
#include "imap_search.h"
#include "imapsession.h"
#include "log.h"
#include "mime_search.h"
#include "store_cache.h"

/* Per message, what was read for it so far. */
struct sctx {
	struct msgdata	 md;
	int		 md_init;
	int		 fields_ok;	/* md.search holds the fields */
};

static const char *const *const cached_fields = md_search_names;

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
				*day = search_rfc5322_day(val, vlen);
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
		day = search_day_of(c->md.date);
		break;
	case SK_SAVEDBEFORE:
	case SK_SAVEDON:
	case SK_SAVEDSINCE:
		if (m->savedate == 0)
			return 0;
		day = search_day_of((time_t)m->savedate);
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
	if ((root = search_parse(p, a)) == UINT32_MAX) {
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
