/*
 * imap_fetch: FETCH and UID FETCH (RFC 9051 6.4.5, 7.5.2; BINARY of RFC
 * 3516; SAVEDATE of RFC 8514): the sequence set, the items (macros ALL,
 * FAST and FULL, a single item or a list), then one FETCH response per
 * message, its data read as needed (imap_fetch_body.c) and remembered in
 * facteur-cache.  Fetching a body section without .PEEK sets \Seen in a
 * read-write mailbox, and the response then carries the new FLAGS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_fetch.h"
#include "imap_mime.h"
#include "log.h"
#include "store_cache.h"

#define FETCH_ITEMS_MAX	64
#define FETCH_BINARY_MAX	(256 * 1024 * 1024)	/* a decoded part */

int
seq_arg(struct imap_session *s, const struct imap_arg *a, struct imap_seq *idx)
{
	struct imap_seq	 q;
	struct folder	*f = &s->box;
	const char	*why;
	size_t		 k, lo, hi;
	ssize_t		 j;
	uint32_t	 star;

	memset(idx, 0, sizeof(*idx));
	if (a == NULL || a->type != IMAP_ARG_ATOM) {
		(void)imap_bad(s, "sequence set expected");
		return -1;
	}
	star = s->uid ? f->maxuid : (uint32_t)f->n;
	if (imap_seq_parse(&q, a->s, a->len, star, 1, &why) == -1) {
		(void)imap_bad(s, "%s", why);
		return -1;
	}
	if (q.saved) {
		/* "$": the saved UIDs, as they are now (RFC 5182 2.1). */
		for (k = 0; k < s->saved.n; k++)
			for (j = 0; j < (ssize_t)f->n; j++)
				if (imap_seq_contains(&s->saved, f->msgs[j].uid) &&
				    imap_seq_add(idx, (uint32_t)j, (uint32_t)j) ==
				    -1)
					break;
		imap_seq_normalize(idx);
		imap_seq_free(&q);
		return 0;
	}
	if (!s->uid) {
		if (f->n == 0 || q.r[0].lo == 0) {
			imap_seq_free(&q);
			(void)imap_bad(s, "no messages: sequence numbers start "
			    "at 1");
			return -1;
		}
		if (imap_seq_max(&q) > f->n) {
			imap_seq_free(&q);
			(void)imap_bad(s, "no such message: the mailbox has %zu",
			    f->n);
			return -1;
		}
		for (k = 0; k < q.n; k++)
			if (imap_seq_add(idx, q.r[k].lo - 1, q.r[k].hi - 1) == -1)
				break;
		imap_seq_free(&q);
		imap_seq_normalize(idx);
		return 0;
	}
	/* UIDs: the messages whose UID is in each range. */
	for (k = 0; k < q.n; k++) {
		for (lo = 0, hi = f->n; lo < hi; ) {
			size_t mid = lo + (hi - lo) / 2;

			if (f->msgs[mid].uid < q.r[k].lo)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (hi = lo; hi < f->n && f->msgs[hi].uid <= q.r[k].hi; hi++)
			;
		if (hi > lo && imap_seq_add(idx, (uint32_t)lo,
		    (uint32_t)(hi - 1)) == -1)
			break;
	}
	imap_seq_free(&q);
	imap_seq_normalize(idx);
	return 0;
}

/* "<start.len>" */
static int
fetch_partial(const char *p, size_t n, struct fetch_item *it)
{
	uint64_t	 v = 0;
	size_t		 i = 1;
	int		 digits;

	if (n < 5 || p[0] != '<' || p[n - 1] != '>')
		return -1;
	for (digits = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++)
		if ((v = v * 10 + (uint64_t)(p[i] - '0')) > UINT32_MAX)
			return -1;
	if (digits == 0 || p[i++] != '.')
		return -1;
	it->pstart = v;
	for (v = 0, digits = 0; i < n - 1 && p[i] >= '0' && p[i] <= '9';
	    i++, digits++)
		if ((v = v * 10 + (uint64_t)(p[i] - '0')) > UINT32_MAX)
			return -1;
	if (digits == 0 || i != n - 1 || v == 0)
		return -1;	/* nz-number */
	it->plen = v;
	it->partial = 1;
	return 0;
}

static void
fetch_items_free(struct fetch_item *items)
{
	size_t	 k;

	for (k = 0; k <= FETCH_ITEMS_MAX; k++)
		buf_free(&items[k].bin);
	free(items);
}

/* One item: "BODY.PEEK[1.TEXT]<0.100>", "UID", ...  0 or -1. */
static int
fetch_item(const struct imap_arg *a, struct fetch_item *it, const char **why)
{
	static const struct {
		const char	*name;
		enum fetch_kind	 kind;
	} simple[] = {
		{ "UID", FETCH_UID }, { "FLAGS", FETCH_FLAGS },
		{ "INTERNALDATE", FETCH_INTERNALDATE },
		{ "RFC822.SIZE", FETCH_SIZE }, { "ENVELOPE", FETCH_ENVELOPE },
		{ "BODY", FETCH_BODY }, { "BODYSTRUCTURE", FETCH_BODYSTRUCTURE },
		{ "SAVEDATE", FETCH_SAVEDATE }, { "RFC822", FETCH_RFC822 },
		{ "RFC822.HEADER", FETCH_RFC822_HEADER },
		{ "RFC822.TEXT", FETCH_RFC822_TEXT }, { NULL, FETCH_UID }
	};
	const char	*p, *lb, *rb;
	size_t		 k, n;

	it->kind = FETCH_UID;
	it->peek = it->partial = 0;
	it->spec = NULL;
	it->speclen = 0;
	it->pstart = it->plen = 0;
	*why = "unknown FETCH item";
	if (a->type != IMAP_ARG_ATOM)
		return -1;
	for (k = 0; simple[k].name != NULL; k++)
		if (imap_arg_is(a, simple[k].name)) {
			it->kind = simple[k].kind;
			return 0;
		}
	p = a->s;
	n = a->len;
	if ((lb = memchr(p, '[', n)) == NULL ||
	    (rb = memrchr(p, ']', n)) == NULL || rb < lb)
		return -1;
	k = (size_t)(lb - p);
	if (k == 4 && strncasecmp(p, "BODY", 4) == 0)
		it->kind = FETCH_SECTION;
	else if (k == 9 && strncasecmp(p, "BODY.PEEK", 9) == 0) {
		it->kind = FETCH_SECTION;
		it->peek = 1;
	} else if (k == 6 && strncasecmp(p, "BINARY", 6) == 0)
		it->kind = FETCH_BINARY;
	else if (k == 11 && strncasecmp(p, "BINARY.PEEK", 11) == 0) {
		it->kind = FETCH_BINARY;
		it->peek = 1;
	} else if (k == 11 && strncasecmp(p, "BINARY.SIZE", 11) == 0)
		it->kind = FETCH_BINARY_SIZE;
	else
		return -1;
	it->spec = lb + 1;
	it->speclen = (size_t)(rb - lb - 1);
	if (imap_section_parse(it->spec, it->speclen, it->kind ==
	    FETCH_SECTION ? 0 : IMAP_SECTION_BINARY, &it->sec, why) == -1)
		return -1;
	if (rb + 1 < p + n) {
		if (it->kind == FETCH_BINARY_SIZE ||
		    fetch_partial(rb + 1, (size_t)(p + n - rb - 1), it) == -1) {
			*why = "bad partial";
			return -1;
		}
	}
	return 0;
}

static int
fetch_add(struct fetch_item *items, size_t *n, enum fetch_kind k)
{
	if (*n == FETCH_ITEMS_MAX)
		return -1;
	items[*n].kind = k;
	items[*n].partial = items[*n].peek = 0;
	(*n)++;
	return 0;
}

/* The items argument into items; 0, or -1 with *why. */
static int
fetch_items(struct imap_session *s, const struct imap_arg *a,
    struct fetch_item *items, size_t *n, const char **why)
{
	const struct imap_arg	*c;

	*n = 0;
	*why = "FETCH items expected";
	if (a == NULL || a->next != 0)
		return -1;
	if (imap_arg_is(a, "ALL") || imap_arg_is(a, "FAST") ||
	    imap_arg_is(a, "FULL")) {
		(void)fetch_add(items, n, FETCH_FLAGS);
		(void)fetch_add(items, n, FETCH_INTERNALDATE);
		(void)fetch_add(items, n, FETCH_SIZE);
		if (!imap_arg_is(a, "FAST"))
			(void)fetch_add(items, n, FETCH_ENVELOPE);
		if (imap_arg_is(a, "FULL"))
			(void)fetch_add(items, n, FETCH_BODY);
		return 0;
	}
	if (a->type == IMAP_ARG_ATOM)
		return fetch_item(a, &items[(*n)++], why);
	if (a->type != IMAP_ARG_LIST || a->count == 0)
		return -1;
	for (c = imap_arg_child(&s->cmd, a); c != NULL;
	    c = imap_arg_next(&s->cmd, c)) {
		if (*n == FETCH_ITEMS_MAX) {
			*why = "too many FETCH items";
			return -1;
		}
		if (fetch_item(c, &items[(*n)++], why) == -1)
			return -1;
	}
	return 0;
}

/* The name of a section item in the reply: "BODY[HEADER]<0>". */
static int
fetch_item_name(struct buf *b, const struct fetch_item *it)
{
	const char	*nm = it->kind == FETCH_SECTION ? "BODY" :
			    it->kind == FETCH_BINARY ? "BINARY" : "BINARY.SIZE";

	if (buf_printf(b, "%s[", nm) == -1 ||
	    buf_append(b, it->spec, it->speclen) == -1 || buf_putc(b, ']') == -1)
		return -1;
	if (it->partial && it->kind != FETCH_BINARY_SIZE)
		return buf_printf(b, "<%llu>", (unsigned long long)it->pstart);
	return 0;
}

/* A literal of n bytes follows: send what the line holds so far. */
int
fetch_literal_head(struct imap_session *s, uint64_t n, int lit8)
{
	if (buf_printf(&s->out, "%s{%llu}\r\n", lit8 ? "~" : "",
	    (unsigned long long)n) == -1)
		return -1;
	return resp_send(s, &s->out);
}

/* Applies <start.len> to a range [*off, *off+*len). */
void
fetch_clip(const struct fetch_item *it, uint64_t *off, uint64_t *len)
{
	if (!it->partial)
		return;
	if (it->pstart >= *len) {
		*off += *len;
		*len = 0;
		return;
	}
	*off += it->pstart;
	*len -= it->pstart;
	if (*len > it->plen)
		*len = it->plen;
}

/* Sends bytes of memory as the value of item it (partial applied). */
int
fetch_mem(struct imap_session *s, const struct fetch_item *it,
    const char *p, size_t n, int lit8)
{
	uint64_t	 off = 0, len = n;

	fetch_clip(it, &off, &len);
	if (fetch_literal_head(s, len, lit8) == -1 ||
	    lineio_write(&s->io, p + off, (size_t)len) == -1)
		return -1;
	return 0;
}

/*
 * BODY[] and BODY[TEXT] of the message itself: streamed from the file,
 * however large.  Other sections are imap_mime.c's.
 */
static int
fetch_top_section(struct imap_session *s, struct msgdata *md,
    const struct fetch_item *it)
{
	uint64_t	 off = 0, len;

	if (md_open(md) == -1 || md_sizes(md) == -1)
		return -1;
	if (it->sec.kind == IMAP_SECTION_ALL) {
		len = md->wire;
		fetch_clip(it, &off, &len);
		if (fetch_literal_head(s, len, 0) == -1)
			return -1;
		return md_stream(md, 0, off, len);
	}
	if (md_header(md) == -1)
		return -1;
	len = md->wire > md->hdr_wire ? md->wire - md->hdr_wire : 0;
	fetch_clip(it, &off, &len);
	if (fetch_literal_head(s, len, 0) == -1)
		return -1;
	return md_stream(md, md->hdr_raw, off, len);
}

/* 1 when fetching it sets \Seen. */
static int
fetch_sets_seen(const struct fetch_item *it)
{
	return ((it->kind == FETCH_SECTION || it->kind == FETCH_BINARY) &&
	    !it->peek) || it->kind == FETCH_RFC822 ||
	    it->kind == FETCH_RFC822_TEXT;
}

/*
 * One message's FETCH response.  0; -1 when the client is gone; 1 when
 * the message is gone; 2 when BINARY met an unknown encoding (nothing of
 * the response was sent); -2 on another error.
 */
static int
fetch_one(struct imap_session *s, size_t i, struct fetch_item *items,
    size_t n, int want_uid, struct fetch_item *tmp)
{
	struct folder		*f = &s->box;
	struct msgdata		 md;
	size_t			 k;
	int			 sp = 0, r = 0, seen = 0, flags_sent = 0;

	md_init(&md, s, i);
	/* BINARY first: an encoding it cannot undo is a NO, said whole. */
	for (k = 0; k < n; k++) {
		if (items[k].kind != FETCH_BINARY &&
		    items[k].kind != FETCH_BINARY_SIZE)
			continue;
		r = mime_fetch_binary(s, &md, &items[k]);
		if (r == IMAP_BINARY_UNKNOWN_CTE) {
			md_free(&md);
			return 2;
		}
		if (r == -1) {
			r = errno;
			md_free(&md);
			return r == ENOENT ? 1 : -2;
		}
	}
	if (!f->readonly && !(f->msgs[i].flags & MSG_SEEN))
		for (k = 0; k < n; k++)
			if (fetch_sets_seen(&items[k]))
				seen = 1;
	if (seen && folder_msg_set_flags(f, i, f->msgs[i].flags | MSG_SEEN,
	    f->msgs[i].kw) == -1) {
		md_free(&md);
		return errno == ENOENT ? 1 : -2;
	}
	buf_reset(&s->out);
	if (buf_printf(&s->out, "* %zu FETCH (", i + 1) == -1)
		goto fail;
	if (want_uid) {
		if (buf_printf(&s->out, "UID %u", f->msgs[i].uid) == -1)
			goto fail;
		sp = 1;
	}
	for (k = 0; k < n; k++) {
		const struct fetch_item *it = &items[k];

		if (it->kind == FETCH_UID && want_uid)
			continue;
		if (sp && buf_putc(&s->out, ' ') == -1)
			goto fail;
		sp = 1;
		switch (it->kind) {
		case FETCH_UID:
			r = buf_printf(&s->out, "UID %u", f->msgs[i].uid);
			break;
		case FETCH_FLAGS:
			r = buf_append_str(&s->out, "FLAGS ") == -1 ? -1 :
			    resp_flags(s, &s->out, i);
			flags_sent = 1;
			break;
		case FETCH_INTERNALDATE:
			if ((r = md_date(&md)) == 0)
				r = buf_append_str(&s->out, "INTERNALDATE ") ==
				    -1 ? -1 : resp_date(&s->out, md.date);
			break;
		case FETCH_SAVEDATE:
			if (f->msgs[i].savedate == 0)
				r = buf_append_str(&s->out, "SAVEDATE NIL");
			else
				r = buf_append_str(&s->out, "SAVEDATE ") == -1 ?
				    -1 : resp_date(&s->out,
				    (time_t)f->msgs[i].savedate);
			break;
		case FETCH_SIZE:
			if ((r = md_sizes(&md)) == 0)
				r = buf_printf(&s->out, "RFC822.SIZE %llu",
				    (unsigned long long)md.wire);
			break;
		case FETCH_RFC822:
		case FETCH_RFC822_HEADER:
		case FETCH_RFC822_TEXT:
			tmp->kind = FETCH_SECTION;
			tmp->partial = 0;
			memset(&tmp->sec, 0, sizeof(tmp->sec));
			tmp->sec.kind = it->kind == FETCH_RFC822 ?
			    IMAP_SECTION_ALL : it->kind == FETCH_RFC822_HEADER ?
			    IMAP_SECTION_HEADER : IMAP_SECTION_TEXT;
			r = buf_append_str(&s->out, it->kind == FETCH_RFC822 ?
			    "RFC822 " : it->kind == FETCH_RFC822_HEADER ?
			    "RFC822.HEADER " : "RFC822.TEXT ");
			if (r == 0)
				r = tmp->sec.kind == IMAP_SECTION_HEADER ?
				    mime_fetch_section(s, &md, tmp) :
				    fetch_top_section(s, &md, tmp);
			break;
		case FETCH_SECTION:
			r = fetch_item_name(&s->out, it) == -1 ? -1 :
			    buf_putc(&s->out, ' ');
			if (r == 0)
				r = it->sec.nparts == 0 &&
				    (it->sec.kind == IMAP_SECTION_ALL ||
				    it->sec.kind == IMAP_SECTION_TEXT) ?
				    fetch_top_section(s, &md, it) :
				    mime_fetch_section(s, &md, it);
			break;
		case FETCH_BINARY:
			r = fetch_item_name(&s->out, it) == -1 ? -1 :
			    buf_putc(&s->out, ' ');
			if (r == 0)
				r = fetch_mem(s, it, it->bin.data != NULL ?
				    it->bin.data : "", it->bin.len, it->bin_nul);
			break;
		case FETCH_BINARY_SIZE:
			r = fetch_item_name(&s->out, it) == -1 ? -1 :
			    buf_printf(&s->out, " %zu", it->bin.len);
			break;
		case FETCH_ENVELOPE:
		case FETCH_BODY:
		case FETCH_BODYSTRUCTURE:
			r = mime_fetch_structure(s, &md, it->kind);
			break;
		}
		if (r == -1)
			goto fail;
	}
	if (seen && !flags_sent && (buf_append_str(&s->out, " FLAGS ") == -1 ||
	    resp_flags(s, &s->out, i) == -1))
		goto fail;
	if (buf_append_str(&s->out, ")\r\n") == -1 || resp_send(s, &s->out) ==
	    -1) {
		md_free(&md);
		return -1;
	}
	md_remember(&md);
	md_free(&md);
	return 0;
fail:
	r = errno;
	md_remember(&md);
	md_free(&md);
	buf_reset(&s->out);
	/* Before any byte of it was sent, a vanished message is skipped. */
	return r == ENOENT ? 1 : -2;
}

int
cmd_fetch(struct imap_session *s)
{
	struct fetch_item	*items;
	struct imap_seq		 idx;
	const struct imap_arg	*set = s->args;
	const char		*why;
	size_t			 n, k;
	uint32_t		 i;
	int			 r, gone = 0, cte = 0;

	if (set == NULL || imap_arg_next(&s->cmd, set) == NULL)
		return imap_bad(s, "FETCH takes a sequence set and items");
	/* One more, for RFC822.* as BODY[] sections. */
	if ((items = calloc(FETCH_ITEMS_MAX + 1, sizeof(*items))) == NULL)
		return imap_no(s, "[SERVERBUG] out of memory");
	for (k = 0; k <= FETCH_ITEMS_MAX; k++)
		buf_init(&items[k].bin, FETCH_BINARY_MAX);
	if (fetch_items(s, imap_arg_next(&s->cmd, set), items, &n,
	    &why) == -1) {
		fetch_items_free(items);
		return imap_bad(s, "%s", why);
	}
	if (seq_arg(s, set, &idx) == -1) {
		fetch_items_free(items);
		return 0;
	}
	for (k = 0; k < idx.n; k++)
		for (i = idx.r[k].lo; ; i++) {
			if (s->box.msgs[i].state & MSGS_GONE)
				gone = 1;
			else if ((r = fetch_one(s, i, items, n, s->uid,
			    &items[FETCH_ITEMS_MAX])) == 1)
				gone = 1;
			else if (r == 2)
				cte = 1;
			else if (r == -2) {
				/*
				 * Some of the response may be out already:
				 * the stream cannot be trusted, so end it.
				 */
				log_warn("user=<%s>: fetch of %s", s->user,
				    folder_msg_name(&s->box, i));
				imap_seq_free(&idx);
				fetch_items_free(items);
				(void)lineio_printf(&s->io, "* BYE [SERVERBUG] "
				    "cannot read a message\r\n");
				s->done = 1;
				return -1;
			} else if (r == -1) {
				imap_seq_free(&idx);
				fetch_items_free(items);
				return -1;
			}
			if (s->box.cache.pending.len > MCACHE_FLUSH_AT)
				(void)mcache_flush(&s->box);
			if (i == idx.r[k].hi)
				break;
		}
	imap_seq_free(&idx);
	fetch_items_free(items);
	if (cte)
		return imap_no(s, "[UNKNOWN-CTE] a part's content transfer "
		    "encoding cannot be decoded");
	if (gone)
		return imap_no(s, "[EXPUNGEISSUED] some messages were expunged "
		    "meanwhile");
	return imap_ok(s, "FETCH completed");
}
