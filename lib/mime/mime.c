/*
 * mime: the parser that splits a message into its tree of parts (see
 * mime.h for the rules, limits and degraded answers).  One pass over the
 * lines of the input: a stack of the boundaries of the multiparts that
 * are open says which delimiter lines end which parts; the part being
 * read is either in its header or in its body.  Nothing recurses.
 *
 * Trust: the message is a stranger's; every offset is checked against its
 * length, nesting against MIME_DEPTH_MAX, parts against MIME_PARTS_MAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mime_int.h"

struct boundary {
	const char		*b;
	size_t			 len;
	struct mime_part	*mp;
};

struct parser {
	struct mime_tree	*t;
	const char		*s;
	size_t			 n;
	size_t			 lines;		/* LFs before the current line */
	struct mime_part	*cur;		/* innermost open part */
	int			 in_header;	/* cur's header is being read */
	unsigned		 nb;
	struct boundary		 stack[MIME_DEPTH_MAX + 1];
};

/*
 * While a part is open, body_lines holds the count of LFs before its
 * body; part_close turns it into the count of LFs in the body.
 */

static struct mime_part *
part_new(struct parser *ps, struct mime_part *parent)
{
	struct mime_part	*p, **tail;

	if ((p = mime_arena_alloc(ps->t->arena, sizeof(*p))) == NULL)
		return NULL;
	p->parent = parent;
	if (parent != NULL) {
		p->depth = parent->depth + 1;
		for (tail = &parent->child; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = p;
		parent->nchildren++;
	}
	ps->t->nparts++;
	return p;
}

/* An empty part at offset off: a multipart's or a message's stand-in. */
static int
part_synthetic(struct parser *ps, struct mime_part *parent, size_t off)
{
	struct mime_part	*p;

	if ((p = part_new(ps, parent)) == NULL)
		return -1;
	p->flags = MIME_F_SYNTHETIC;
	p->hdr_off = p->body_off = off;
	mime_fields_default(p, 0);
	return 0;
}

/* Is the line s[0..len) (no line end) a delimiter of b?  1, 2 (close). */
static int
boundary_match(const struct boundary *b, const char *s, size_t len)
{
	size_t	i;
	int	kind = 1;

	if (len < 2 + b->len || memcmp(s + 2, b->b, b->len) != 0)
		return 0;
	i = 2 + b->len;
	if (len - i >= 2 && s[i] == '-' && s[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return kind;
}

/*
 * The header of cur ends at hdr_end; its body starts at body_off.  Reads
 * its fields and opens what its body holds: the boundary of a multipart,
 * the header of an encapsulated message.
 */
static int
header_done(struct parser *ps, size_t hdr_end, size_t body_off,
    size_t body_lines)
{
	struct mime_part	*p = ps->cur, *c;
	const struct mime_param	*bp;
	int			 digest;

	ps->in_header = 0;
	if (hdr_end < p->hdr_off)	/* a delimiter right after one */
		hdr_end = body_off = p->hdr_off;
	p->hdr_len = hdr_end - p->hdr_off;
	p->body_off = body_off;
	p->body_lines = body_lines;
	digest = p->parent != NULL && (p->parent->flags & MIME_F_MULTIPART) &&
	    mime_part_is(p->parent, "multipart", "digest");
	if (mime_fields_read(ps->t, p, digest) == -1)
		return -1;

	if (mime_part_is(p, "multipart", NULL)) {
		if (p->depth + 1 >= MIME_DEPTH_MAX) {
			p->flags |= MIME_F_UNPARSED;
			ps->t->limits |= MIME_LIMIT_DEPTH;
			return 0;
		}
		p->flags |= MIME_F_MULTIPART;
		bp = mime_param_find(p->params, "boundary");
		/* utf8: `boundary*=''x` is seen (decoded, it is x). */
		if (bp != NULL && bp->utf8.len > 0 &&
		    bp->utf8.len <= MIME_BOUNDARY_MAX) {
			ps->stack[ps->nb].b = bp->utf8.p;
			ps->stack[ps->nb].len = bp->utf8.len;
			ps->stack[ps->nb].mp = p;
			ps->nb++;
		}
		return 0;	/* a child comes at its first delimiter */
	}
	if (mime_part_is(p, "message", "rfc822") ||
	    mime_part_is(p, "message", "global")) {
		p->flags |= MIME_F_MESSAGE;
		if (p->cte != MIME_CTE_7BIT && p->cte != MIME_CTE_8BIT &&
		    p->cte != MIME_CTE_BINARY) {
			p->flags |= MIME_F_UNPARSED;
			return part_synthetic(ps, p, body_off);
		}
		if (p->depth + 1 >= MIME_DEPTH_MAX ||
		    ps->t->nparts >= MIME_PARTS_MAX) {
			p->flags |= MIME_F_UNPARSED;
			ps->t->limits |= p->depth + 1 >= MIME_DEPTH_MAX ?
			    MIME_LIMIT_DEPTH : MIME_LIMIT_PARTS;
			return part_synthetic(ps, p, body_off);
		}
		if ((c = part_new(ps, p)) == NULL)
			return -1;
		c->hdr_off = body_off;
		ps->cur = c;
		ps->in_header = 1;
	}
	return 0;
}

/*
 * Ends the open parts from cur up to, not including, stop (NULL: all):
 * their bodies end at `end`, before which lie end_lines LFs.
 */
static int
parts_close(struct parser *ps, struct mime_part *stop, size_t end,
    size_t end_lines)
{
	struct mime_part	*p;

	while ((p = ps->cur) != stop && p != NULL) {
		if (ps->in_header) {
			/* Cut short: the header runs to the end given. */
			if (header_done(ps, end, end, end_lines) == -1)
				return -1;
			if (stop != NULL)
				p->flags |= MIME_F_HEADER_CUT;
			if (ps->cur != p) {
				/* It opened a message: close that first. */
				continue;
			}
		}
		/*
		 * A body that ends before it starts: the header's empty line
		 * was the line end before the delimiter, which belongs to the
		 * delimiter, so the header ends before it and the body is
		 * empty (as Dovecot has it).  An encapsulated message already
		 * placed after that line keeps it: then the parts around end
		 * where the body starts, not before.
		 */
		if (end < p->body_off) {
			if (p->child == NULL && end >= p->hdr_off) {
				p->hdr_len = end - p->hdr_off;
				p->body_off = end;
				p->body_lines = end_lines;
			} else {
				end = p->body_off;
				end_lines = p->body_lines;
			}
		}
		p->body_len = end - p->body_off;
		p->body_lines = end_lines - p->body_lines;
		if (ps->nb > 0 && ps->stack[ps->nb - 1].mp == p) {
			p->flags |= MIME_F_NO_END;
			ps->nb--;
		}
		if ((p->flags & MIME_F_MULTIPART) && p->child == NULL &&
		    part_synthetic(ps, p, p->body_off + p->body_len) == -1)
			return -1;
		ps->cur = p->parent;
	}
	return 0;
}

/*
 * A delimiter line of stack[i] at pos (kind 1) or its close delimiter
 * (kind 2); the next line starts at next.  Returns 0, 1 when the line is
 * content after all (the part limit), -1 when memory ran out.
 */
static int
delimiter(struct parser *ps, unsigned i, int kind, size_t pos, size_t next,
    size_t next_lines)
{
	struct mime_part	*mp = ps->stack[i].mp, *c;
	size_t			 end = pos, end_lines = ps->lines;

	if (kind == 1 && ps->t->nparts >= MIME_PARTS_MAX) {
		ps->t->limits |= MIME_LIMIT_PARTS;
		return 1;
	}
	/* The line end before a delimiter belongs to the delimiter. */
	if (pos > 0 && ps->s[pos - 1] == '\n') {
		end--;
		end_lines--;
		if (end > 0 && ps->s[end - 1] == '\r')
			end--;
	}
	/* Inner multiparts left open end here, unterminated. */
	while (ps->nb > i + 1)
		ps->stack[--ps->nb].mp->flags |= MIME_F_NO_END;
	if (parts_close(ps, mp, end, end_lines) == -1)
		return -1;
	ps->cur = mp;
	ps->in_header = 0;
	if (kind == 2) {
		ps->nb = i;	/* the epilogue: mp's body goes on */
		return 0;
	}
	if ((c = part_new(ps, mp)) == NULL)
		return -1;
	c->hdr_off = next;
	c->body_lines = next_lines;
	ps->cur = c;
	ps->in_header = 1;
	return 0;
}

size_t
mime_header_len(const char *msg, size_t len)
{
	const char	*lf;
	size_t		 pos = 0, l;

	while (pos < len) {
		if ((lf = memchr(msg + pos, '\n', len - pos)) == NULL)
			return len;
		l = (size_t)(lf - (msg + pos));
		if (l == 0 || (l == 1 && msg[pos] == '\r'))
			return pos + l + 1;
		pos += l + 1;
	}
	return len;
}

static int
parse(struct parser *ps)
{
	const char	*s = ps->s, *lf;
	size_t		 pos = 0, next, len, next_lines;
	unsigned	 i;
	int		 kind, r;

	while (pos < ps->n) {
		lf = memchr(s + pos, '\n', ps->n - pos);
		if (lf != NULL) {
			len = (size_t)(lf - (s + pos));
			next = pos + len + 1;
			next_lines = ps->lines + 1;
			if (len > 0 && s[pos + len - 1] == '\r')
				len--;
		} else {
			len = ps->n - pos;
			next = ps->n;
			next_lines = ps->lines;
		}
		if (ps->nb > 0 && len >= 2 && s[pos] == '-' &&
		    s[pos + 1] == '-') {
			for (i = ps->nb; i-- > 0;) {
				kind = boundary_match(&ps->stack[i], s + pos,
				    len);
				if (kind == 0)
					continue;
				r = delimiter(ps, i, kind, pos, next,
				    next_lines);
				if (r == -1)
					return -1;
				if (r == 0)
					goto next_line;
				break;
			}
		}
		if (ps->in_header && len == 0) {
			if (header_done(ps, next, next, next_lines) == -1)
				return -1;
		}
next_line:
		pos = next;
		ps->lines = next_lines;
	}
	return parts_close(ps, NULL, ps->n, ps->lines);
}

struct mime_tree *
mime_parse(const char *msg, size_t len)
{
	struct mime_tree	*t;
	struct parser		*ps;
	int			 saved;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (t->arena = mime_arena_new()) == NULL)
		goto fail;
	t->msg = msg;
	t->len = len;
	ps->t = t;
	ps->s = msg;
	ps->n = len;
	if ((t->root = part_new(ps, NULL)) == NULL)
		goto fail;
	ps->cur = t->root;
	ps->in_header = 1;
	if (parse(ps) == -1)
		goto fail;
	free(ps);
	return t;
fail:
	saved = errno;
	free(ps);
	mime_free(t);
	errno = saved == 0 ? ENOMEM : saved;
	return NULL;
}

void
mime_free(struct mime_tree *t)
{
	if (t == NULL)
		return;
	mime_arena_free(t->arena);
	free(t);
}
