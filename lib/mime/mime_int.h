/*
 * mime_int: what the files of lib/mime share and no other module may use:
 * the tree's arena (few large blocks, freed at once with the tree) and
 * the reading of a part's MIME fields (mime_fields.c) for the parser
 * (mime.c).
 *
 * Trust: as mime.h: the message is a stranger's.
 */
#ifndef FACTEUR_MIME_INT_H
#define FACTEUR_MIME_INT_H
#include <stddef.h>

#include "mime.h"

/*
 * The arena: blocks of growing size (the first is small, so that a
 * plain message costs one allocation besides the tree's own).
 */
struct mime_arena;

struct mime_arena	*mime_arena_new(void);
void			 mime_arena_free(struct mime_arena *);
/* n zeroed bytes, aligned for any type; NULL when memory ran out. */
void			*mime_arena_alloc(struct mime_arena *, size_t n);
/* A copy of p[0..n) (not NUL-terminated); NULL when memory ran out. */
char			*mime_arena_dup(struct mime_arena *, const char *p,
			    size_t n);

/*
 * Reads the MIME fields of p's header section (p->hdr_off, p->hdr_len)
 * into p: Content-Type (or the default, digest_child saying the part is
 * a body part of multipart/digest), Content-Transfer-Encoding, -ID,
 * -Description, -MD5, -Location, -Disposition, -Language.  The header
 * of a message (the root, or one a message/rfc822 part holds) that has
 * neither MIME-Version nor Content-Type is not MIME (RFC 2045 4, relaxed
 * for Content-Type as Dovecot does): its other Content-* fields are not
 * read.  Returns 0, or -1 when memory ran out.  Sets MIME_F_HEADER_LIMIT
 * and MIME_LIMIT_* bits in tree->limits as it finds them.
 */
int	mime_fields_read(struct mime_tree *, struct mime_part *,
	    int digest_child);

/* Sets the default Content-Type on a part (synthetic parts, errors). */
void	mime_fields_default(struct mime_part *, int digest_child);

/*
 * Parses a parameter list (`; a=b; c*0="d"; ...`) in s[0..n) into a list
 * allocated in the tree's arena, RFC 2231 sections joined and decoded.
 * Returns 0, or -1 when memory ran out.
 */
int	mime_params_parse(struct mime_tree *, const char *s, size_t n,
	    const struct mime_param **out);

#endif
