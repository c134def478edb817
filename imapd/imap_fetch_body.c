/*
 * imap_fetch_body: one message's data for FETCH (see imap_fetch.h).  The
 * stored message has LF line ends; IMAP counts sizes and offsets in its
 * wire form (CRLF, lib/mail/crlf.h), so sizes come from facteur-cache,
 * from Dovecot's ",W=" in the name, or from reading the file once, and
 * are then remembered.  Ranges are converted as they are streamed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crlf.h"
#include "header_scan.h"
#include "imap_fetch.h"
#include "maildir_name.h"
#include "mime.h"
#include "store_cache.h"

#define READ_CHUNK	(64 * 1024)
#define SEARCH_FIELDS_MAX	(256 * 1024)

const char *const md_search_names[] = { "Subject", "From", "To", "Cc", "Bcc",
	"Date", NULL };

void
md_init(struct msgdata *md, struct imap_session *s, size_t i)
{
	struct mcache_rec	 r;

	memset(md, 0, sizeof(*md));
	md->s = s;
	md->f = &s->box;
	md->i = i;
	md->fd = -1;
	buf_init(&md->hdr, FETCH_HEADER_MAX + 2);
	buf_init(&md->env, MCACHE_FIELD_MAX);
	buf_init(&md->bs, MCACHE_FIELD_MAX);
	buf_init(&md->body, MCACHE_FIELD_MAX);
	buf_init(&md->search, SEARCH_FIELDS_MAX);
	if (mcache_get(md->f, i, &r) == 1) {
		md->have = r.have & (MCF_RAW | MCF_WIRE | MCF_HDR | MCF_DATE);
		md->raw = r.raw;
		md->wire = r.wire;
		md->hdr_wire = r.hdr;
		md->date = (time_t)r.date;
	}
}

void
md_free(struct msgdata *md)
{
	if (md->fd != -1)
		(void)close(md->fd);
	buf_free(&md->hdr);
	buf_free(&md->env);
	buf_free(&md->bs);
	buf_free(&md->body);
	buf_free(&md->search);
	if (md->tree != NULL)
		mime_free(md->tree);
	free(md->all);
	memset(md, 0, sizeof(*md));
	md->fd = -1;
}

int
md_open(struct msgdata *md)
{
	struct stat	 st;

	if (md->fd != -1)
		return 0;
	if ((md->fd = folder_msg_open(md->f, md->i)) == -1)
		return -1;
	if (fstat(md->fd, &st) == 0) {
		if ((md->have & MCF_RAW) && md->raw != (uint64_t)st.st_size) {
			/* Not the file the cache knew: forget it all. */
			md->have = 0;
		}
		md->raw = (uint64_t)st.st_size;
		md->have |= MCF_RAW;
		if (!(md->have & MCF_DATE)) {
			md->date = st.st_mtime;
			md->have |= MCF_DATE;
			md->learnt = 1;
		}
	}
	return 0;
}

int
md_date(struct msgdata *md)
{
	off_t	 size;
	time_t	 t;

	if (md->have & MCF_DATE)
		return 0;
	if (folder_msg_stat(md->f, md->i, &t, &size) == -1)
		return -1;
	md->date = t;
	md->raw = (uint64_t)size;
	md->have |= MCF_DATE | MCF_RAW;
	md->learnt = 1;
	return 0;
}

int
md_sizes(struct msgdata *md)
{
	size_t	 w;
	ssize_t	 n;

	if (md->have & MCF_WIRE)
		return 0;
	if (maildir_name_wire_size(folder_msg_name(md->f, md->i),
	    md->f->msgs[md->i].ulen, &w)) {
		md->wire = w;
		md->have |= MCF_WIRE;
		return 0;
	}
	if (md_open(md) == -1 || lseek(md->fd, 0, SEEK_SET) == -1 ||
	    (n = crlf_size_fd(md->fd)) < 0)
		return -1;
	md->wire = (uint64_t)n;
	md->have |= MCF_WIRE;
	md->learnt = 1;
	return 0;
}

/*
 * Scans p[0..n) for the empty line that ends a header, carrying the
 * state across reads in *bol (0: inside a line, 1: at a line's start,
 * 2: at a line's start after a CR).  Returns the bytes up to and with
 * that line's LF (*done = 1), or n.
 */
static size_t
header_end(const char *p, size_t n, int *bol, int *done)
{
	const char	*lf;
	size_t		 k = 0;

	while (k < n) {
		if (*bol != 0) {
			if (p[k] == '\n') {
				*done = 1;
				return k + 1;
			}
			if (p[k] == '\r' && *bol == 1) {
				*bol = 2;
				k++;
				continue;
			}
			*bol = 0;
		}
		if ((lf = memchr(p + k, '\n', n - k)) == NULL)
			return n;
		k = (size_t)(lf - p) + 1;
		*bol = 1;
	}
	return n;
}

/* Reads the header (through its blank line) in wire form into md->hdr. */
int
md_header(struct msgdata *md)
{
	struct crlf_state	 c;
	char			 b[READ_CHUNK];
	ssize_t			 r;
	size_t			 k, raw = 0;
	int			 bol = 1, done = 0;	/* 2: bol, then CR */

	if (md->hdr_read)
		return 0;
	if (md_open(md) == -1 || lseek(md->fd, 0, SEEK_SET) == -1)
		return -1;
	crlf_init(&c);
	buf_reset(&md->hdr);
	while (!done) {
		r = read(md->fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		/* The header ends at the first empty line (LF or CRLF). */
		k = header_end(b, (size_t)r, &bol, &done);
		if (crlf_convert(&c, b, k, 0, &md->hdr) == -1) {
			/* Too large to hold: the header is what fits. */
			errno = EFBIG;
			return -1;
		}
		raw += k;
	}
	if (!done && crlf_convert_end(&c, &md->hdr) == -1)
		return -1;
	md->hdr_raw = raw;
	md->hdr_wire = md->hdr.len;
	if (!(md->have & MCF_HDR)) {
		md->have |= MCF_HDR;
		md->learnt = 1;
	}
	md->hdr_read = 1;
	return 0;
}

int
md_load(struct msgdata *md)
{
	struct crlf_state	 c;
	struct buf		 out;
	char			 b[READ_CHUNK];
	ssize_t			 r;

	if (md->all != NULL)
		return 0;
	if (md_open(md) == -1 || lseek(md->fd, 0, SEEK_SET) == -1)
		return -1;
	crlf_init(&c);
	buf_init(&out, SIZE_MAX / 4);
	if (md->raw > 0 && buf_reserve(&out, md->raw + md->raw / 16 + 2) == -1)
		goto fail;
	for (;;) {
		r = read(md->fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		if (crlf_convert(&c, b, (size_t)r, 0, &out) == -1)
			goto fail;
	}
	if (crlf_convert_end(&c, &out) == -1)
		goto fail;
	md->all = out.data;
	md->all_len = out.len;
	if (!(md->have & MCF_WIRE)) {
		md->wire = out.len;
		md->have |= MCF_WIRE;
		md->learnt = 1;
	}
	return 0;
fail:
	buf_free(&out);
	return -1;
}

int
md_stream(struct msgdata *md, uint64_t raw_off, uint64_t skip, uint64_t len)
{
	struct crlf_state	 c;
	struct buf		 out;
	char			 b[READ_CHUNK];
	ssize_t			 r;
	size_t			 take;
	int			 ret = -1, eof = 0;

	if (len == 0)
		return 0;
	if (md_open(md) == -1 || lseek(md->fd, (off_t)raw_off, SEEK_SET) == -1)
		return -1;
	crlf_init(&c);
	buf_init(&out, 3 * READ_CHUNK);
	while (len > 0) {
		buf_reset(&out);
		if (!eof) {
			r = read(md->fd, b, sizeof(b));
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1)
				goto out;
			if (r == 0)
				eof = 1;
			else if (crlf_convert(&c, b, (size_t)r, 0, &out) == -1)
				goto out;
		}
		if (eof && crlf_convert_end(&c, &out) == -1)
			goto out;
		if (skip >= out.len) {
			skip -= out.len;
			if (eof)
				break;
			continue;
		}
		take = out.len - (size_t)skip;
		if (take > len)
			take = (size_t)len;
		if (lineio_write(&md->s->io, out.data + skip, take) == -1)
			goto out;
		skip = 0;
		len -= take;
		if (eof)
			break;
	}
	/* A file shorter than its size said: the literal must still fill. */
	while (len > 0) {
		take = len < sizeof(b) ? (size_t)len : sizeof(b);
		memset(b, ' ', take);
		if (lineio_write(&md->s->io, b, take) == -1)
			goto out;
		len -= take;
	}
	ret = 0;
out:
	buf_free(&out);
	return ret;
}

void
md_remember(struct msgdata *md)
{
	struct mcache_rec	 r;

	if (!md->learnt && md->learnt_str == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.have = md->have & (MCF_RAW | MCF_WIRE | MCF_HDR | MCF_DATE);
	r.raw = md->raw;
	r.wire = md->wire;
	r.hdr = md->hdr_wire;
	r.date = (int64_t)md->date;
	if (md->learnt_str & MCF_ENV) {
		r.have |= MCF_ENV;
		r.env = md->env.data;
		r.envlen = md->env.len;
	}
	if (md->learnt_str & MCF_BS) {
		r.have |= MCF_BS;
		r.bs = md->bs.data;
		r.bslen = md->bs.len;
	}
	if (md->learnt_str & MCF_BODY) {
		r.have |= MCF_BODY;
		r.body = md->body.data;
		r.bodylen = md->body.len;
	}
	if (md->learnt_str & MCF_SEARCH) {
		r.have |= MCF_SEARCH;
		r.search = md->search.data != NULL ? md->search.data : "";
		r.searchlen = md->search.len;
	}
	(void)mcache_put(md->f, md->i, &r);
	md->learnt = 0;
	md->learnt_str = 0;
}

int
md_search_fields(struct msgdata *md)
{
	struct mcache_rec	 r;
	struct header_scan	 hs;
	struct header_field	 hf;
	size_t			 k;

	if (md->search_ok)
		return 0;
	buf_reset(&md->search);
	if (mcache_get(md->f, md->i, &r) == 1 && (r.have & MCF_SEARCH)) {
		if (buf_append(&md->search, r.search, r.searchlen) == -1)
			return -1;
		md->search_ok = 1;
		return 0;
	}
	if (md_header(md) == -1)
		return -1;
	header_scan_init(&hs, md->hdr.data != NULL ? md->hdr.data : "",
	    md->hdr.len);
	while (header_scan_next(&hs, &hf))
		for (k = 0; md_search_names[k] != NULL; k++)
			if (header_name_is(&hf, md_search_names[k])) {
				if (buf_append_str(&md->search,
				    md_search_names[k]) == -1 ||
				    buf_putc(&md->search, 0) == -1 ||
				    buf_append(&md->search, hf.value,
				    hf.valuelen) == -1 ||
				    buf_putc(&md->search, 0) == -1)
					return -1;
				break;
			}
	md->search_ok = 1;
	md->learnt_str |= MCF_SEARCH;
	return 0;
}

int
md_tree(struct msgdata *md, int full)
{
	if (md->tree != NULL && (md->tree_full || !full))
		return 0;
	if (md->tree != NULL) {
		mime_free(md->tree);
		md->tree = NULL;
	}
	if (full) {
		if (md_load(md) == -1)
			return -1;
		md->tree = mime_parse(md->all, md->all_len);
	} else {
		if (md_header(md) == -1)
			return -1;
		md->tree = mime_parse(md->hdr.data != NULL ? md->hdr.data : "",
		    md->hdr.len);
	}
	md->tree_full = full;
	return md->tree == NULL ? -1 : 0;
}
