/*
 * header_scan: finding the fields of a message's header section (RFC 5322
 * section 2.2) in memory, without copying: deliver's Delivered-To loop
 * check, and any program that must read a header field it did not write.
 *
 * The header section runs up to the first empty line ("\n" or "\r\n"), or
 * to the end of the data when there is none.  Lines end in LF or CRLF (a
 * message keeps the endings it was injected with).  A line that starts
 * with SP or HT continues the field before it (folding).  A line that is
 * neither a field (`name:`, name of printable ASCII other than ':',
 * optionally followed by blanks before the colon) nor a continuation is
 * skipped, as is a continuation with no field before it.  NUL bytes are
 * ordinary bytes: scanning is by length, never by C string.
 *
 * The caller bounds the data (deliver reads at most HEADER_SCAN_MAX
 * octets); nothing here allocates.
 *
 * Trust: see header_scan.c.
 */
#ifndef FACTEUR_HEADER_SCAN_H
#define FACTEUR_HEADER_SCAN_H
#include <stddef.h>

#define HEADER_SCAN_MAX	(1024 * 1024)	/* octets of header deliver reads */

struct header_field {
	const char	*name;		/* not NUL-terminated */
	size_t		 namelen;	/* without blanks before the colon */
	const char	*value;		/* raw: after the colon, folds kept */
	size_t		 valuelen;	/* without the final line ending */
};

struct header_scan {
	const char	*p;
	size_t		 n;
	size_t		 pos;
	int		 ended;		/* the empty line was seen */
};

void	header_scan_init(struct header_scan *, const void *, size_t);
/* 1 and the next field, or 0 at the end of the header section. */
int	header_scan_next(struct header_scan *, struct header_field *);

/*
 * Finds the empty line that ends the header section in p[0..n).  Returns
 * 1 and *body = offset just past it, or 0 when there is none (yet).
 */
int	header_section_end(const void *p, size_t n, size_t *body);

/* 1 if the field's name is `name` (ASCII case-insensitive). */
int	header_name_is(const struct header_field *, const char *name);

/*
 * Copies the unfolded value (line endings of folds removed, leading and
 * trailing blanks removed) into out, NUL-terminated.  Returns its length,
 * or -1 when it does not fit in outsz (out is then "").
 */
long	header_value_unfold(const struct header_field *, char *out,
	    size_t outsz);

/*
 * 1 if the unfolded, trimmed value equals `want` (ASCII case-insensitive),
 * else 0.
 */
int	header_value_equal(const struct header_field *, const char *want);

/*
 * Counts the fields named `name` in the header section of p[0..n) whose
 * value equals `want` as header_value_equal says.
 */
size_t	header_count_value(const void *p, size_t n, const char *name,
	    const char *want);

#endif
