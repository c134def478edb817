/*
 * imap_mime: FETCH's and SEARCH's use of the MIME side (see
 * imap_mime.h): ENVELOPE from the header alone, BODY and BODYSTRUCTURE
 * from the parsed message, each remembered in facteur-cache as sent;
 * sections other than BODY[] and BODY[TEXT] of the message itself (those
 * are streamed from the file by imap_fetch.c): the header's sections
 * from the header alone, part sections from the whole message's tree;
 * BINARY decoded by imap_section_binary.
 *
 * Cached strings are written without UTF-8 (IMAP_FMT_UTF8 off): a
 * literal where a UTF-8 quoted string would do is valid for every
 * client, so one cached form serves all.
 */
#include <errno.h>
#include <string.h>

#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_mime.h"
#include "imap_section.h"
#include "mime.h"
#include "store_cache.h"

#define SECTION_OUT_MAX	(256 * 1024 * 1024)

int
mime_fetch_structure(struct imap_session *s, struct msgdata *md,
    enum fetch_kind k)
{
	struct mcache_rec	 r;
	struct buf		*b;
	const char		*name;
	const char		*cached = NULL;
	size_t			 clen = 0;
	unsigned		 bit;

	switch (k) {
	case FETCH_ENVELOPE:
		name = "ENVELOPE ";
		bit = MCF_ENV;
		b = &md->env;
		break;
	case FETCH_BODY:
		name = "BODY ";
		bit = MCF_BODY;
		b = &md->body;
		break;
	default:
		name = "BODYSTRUCTURE ";
		bit = MCF_BS;
		b = &md->bs;
		break;
	}
	if (buf_append_str(&s->out, name) == -1)
		return -1;
	if (md->learnt_str & bit)
		return buf_append(&s->out, b->data, b->len);
	if (mcache_get(md->f, md->i, &r) == 1 && (r.have & bit)) {
		cached = bit == MCF_ENV ? r.env : bit == MCF_BODY ? r.body :
		    r.bs;
		clen = bit == MCF_ENV ? r.envlen : bit == MCF_BODY ?
		    r.bodylen : r.bslen;
		return buf_append(&s->out, cached, clen);
	}
	buf_reset(b);
	if (bit == MCF_ENV) {
		if (md_header(md) == -1 || imap_envelope_write(b,
		    md->hdr.data != NULL ? md->hdr.data : "", md->hdr.len,
		    0) == -1)
			return -1;
		/* The header is read: SEARCH's fields cost nothing more. */
		(void)md_search_fields(md);
	} else if (md_tree(md, 1) == -1 || imap_bodystructure_write(b,
	    md->tree, md->tree->root, bit == MCF_BS, 0) == -1)
		return -1;
	md->learnt_str |= bit;
	return buf_append(&s->out, b->data, b->len);
}

int
mime_fetch_section(struct imap_session *s, struct msgdata *md,
    const struct fetch_item *it)
{
	struct imap_section_result	 res;
	struct buf			 out;
	uint64_t			 off = 0, len;
	int				 r;

	memset(&res, 0, sizeof(res));
	if (imap_section_is_top(&it->sec)) {
		/* The message's own header needs no more than the header. */
		if (md_header(md) == -1)
			return -1;
		r = imap_section_find_top(md->hdr.data != NULL ? md->hdr.data :
		    "", md->hdr.len, &it->sec, &res);
	} else
		r = md_tree(md, 1) == -1 ? -1 : imap_section_find(md->tree,
		    &it->sec, &res);
	if (r == -1) {
		imap_section_result_free(&res);
		return -1;
	}
	len = res.size;
	fetch_clip(it, &off, &len);
	buf_init(&out, SECTION_OUT_MAX);
	r = imap_section_copy(&res, (size_t)off, (size_t)len, &out);
	imap_section_result_free(&res);
	if (r == 0)
		r = fetch_literal_head(s, out.len, 0) == -1 ||
		    lineio_write(&s->io, out.data != NULL ? out.data : "",
		    out.len) == -1 ? -1 : 0;
	buf_free(&out);
	return r;
}

int
mime_fetch_binary(struct imap_session *s, struct msgdata *md,
    struct fetch_item *it)
{
	int	 r;

	(void)s;
	buf_reset(&it->bin);
	it->bin_found = it->bin_nul = 0;
	if (md_tree(md, 1) == -1)
		return -1;
	r = imap_section_binary(md->tree, &it->sec, &it->bin, &it->bin_nul);
	if (r == IMAP_BINARY_UNKNOWN_CTE || r == -1)
		return r;
	it->bin_found = r == 1;
	return 0;
}
