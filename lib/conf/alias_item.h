/*
 * alias_item: the items of an alias's value, of an :include: file and of
 * a ~/.forward, in the syntax of sendmail's and Postfix's aliases(5).
 *
 * Items are separated by commas and, in a file, by line ends.  Blanks
 * around an item are dropped.  A double-quoted part keeps its blanks and
 * commas, with \" and \\ standing for " and \ inside it; the quotes
 * themselves are not part of the item.  In a file, a line whose first
 * non-blank byte is '#' is a comment.  Each item is one of:
 *
 *   |command        a command line, given to /bin/sh -c
 *   /path           a file (mbox), or a Maildir when it ends in '/'
 *   :include:/path  more items, read from that file
 *   \name           the local user name itself, never expanded again
 *   name, address   a local name (expanded again) or an address
 *
 * Limits: ALIAS_ITEM_MAX octets per item, ALIAS_FILE_MAX octets per file.
 * A command or a file may hold blanks (quote them); a name, an address
 * or an :include: path may not.
 *
 * Trust: none of the text (a user's ~/.forward, an :include: file anyone
 * may own): every item is checked for its shape and length here, and a
 * file for its size and control bytes.
 */
#ifndef FACTEUR_ALIAS_ITEM_H
#define FACTEUR_ALIAS_ITEM_H
#include <stddef.h>

#define ALIAS_ITEM_MAX	1000		/* octets of an item (QUEUE_ADDR_MAX) */
#define ALIAS_FILE_MAX	(1024 * 1024)	/* octets of a file of items */

enum alias_item_kind {
	ALIAS_ITEM_ADDRESS,	/* a name or an address */
	ALIAS_ITEM_SELF,	/* \name */
	ALIAS_ITEM_COMMAND,	/* |command: the value is the command */
	ALIAS_ITEM_FILE,	/* /path */
	ALIAS_ITEM_INCLUDE	/* :include:/path: the value is the path */
};

struct alias_items {
	const char	*p;
	int		 file;	/* line ends separate items; # comments */
};

/* Items of text (an alias's value, or with file set a whole file). */
void	alias_items_init(struct alias_items *, const char *text, int file);
/*
 * The next item: 1 with its kind and *value (NUL-terminated, in buf of
 * bufsz octets), 0 at the end, -1 with *why (an unbalanced quote, an item
 * too long, a blank inside an address, an empty command, a relative
 * :include: path).  After -1 the rest of the text is not read.
 */
int	alias_items_next(struct alias_items *, char *buf, size_t bufsz,
	    enum alias_item_kind *, const char **value, const char **why);

/*
 * Reads a file of items from fd (already opened by the caller with the
 * privileges it means to read with): a regular file of at most
 * ALIAS_FILE_MAX octets holding no NUL and no control byte but tab, LF
 * and CR before LF.  0 and *text (malloc'd, NUL-terminated), or -1
 * with *why.
 */
int	alias_file_read(int fd, char **text, const char **why);

#endif
