/*
 * imap_seq: sequence sets (RFC 9051 9: sequence-set) as sorted, merged
 * ranges, for message sequence numbers and for UIDs.  "*" is the largest
 * number in use; "$" is the saved search result (RFC 5182), given by the
 * caller as UIDs.  A range may be written either way round ("4:2").
 *
 * Numbers are 1 to 4294967295 without leading zeros; anything else, an
 * empty element, or more than IMAP_SEQ_RANGES_MAX ranges, is refused.
 * For sequence numbers a number above the mailbox's count is an error
 * (RFC 9051 6.4.*: BAD); for UIDs it simply matches nothing.
 */
#ifndef FACTEUR_IMAP_SEQ_H
#define FACTEUR_IMAP_SEQ_H
#include <stddef.h>
#include <stdint.h>

#define IMAP_SEQ_RANGES_MAX	100000

struct imap_range {
	uint32_t	 lo, hi;
};

struct imap_seq {
	struct imap_range *r;
	size_t		 n, cap;
	int		 saved;		/* was "$" */
};

/*
 * Parses s[0..len) with "*" standing for star.  0, or -1 with *why.
 * Ranges are sorted and merged.  "$" is accepted only when saved_ok, and
 * then *seq gets saved=1 and no ranges (the caller fills them).
 */
int	imap_seq_parse(struct imap_seq *, const char *s, size_t len,
	    uint32_t star, int saved_ok, const char **why);
/* Adds one range (sorted and merged by imap_seq_normalize). */
int	imap_seq_add(struct imap_seq *, uint32_t lo, uint32_t hi);
void	imap_seq_normalize(struct imap_seq *);
int	imap_seq_contains(const struct imap_seq *, uint32_t v);
/* The highest number in the set, 0 when empty. */
uint32_t imap_seq_max(const struct imap_seq *);
void	imap_seq_free(struct imap_seq *);
/* Writes the set as "1:3,5" into b. */
struct buf;
int	imap_seq_format(const struct imap_seq *, struct buf *b);

#endif
