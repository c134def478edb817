/*
 * alias_item: splits an alias's value, an :include: file or a ~/.forward
 * into items and tells what each item is (see alias_item.h).  Nothing
 * here opens a file or decides whose privileges an item runs with: the
 * callers do (lib/conf/aliases.c, queued, lspawn, the local delivery
 * child).
 *
 * Trust: the text is anyone's (a user writes ~/.forward); every item is
 * bounded and checked before it is given out.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias_item.h"

static int
item_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void
alias_items_init(struct alias_items *it, const char *text, int file)
{
	it->p = text;
	it->file = file;
}

static int
item_fail(struct alias_items *it, const char **why, const char *text)
{
	*why = text;
	it->p += strlen(it->p);		/* nothing more is read */
	return -1;
}

/* Skips separators, blank space and (in a file) comment lines. */
static void
item_skip(struct alias_items *it)
{
	const char	*p = it->p;
	int		 line_start = it->file && *p != '\0';

	for (;;) {
		if (line_start) {
			while (item_blank((unsigned char)*p))
				p++;
			if (*p == '#') {
				while (*p != '\0' && *p != '\n')
					p++;
			}
			line_start = 0;
		}
		if (*p == '\n' && it->file) {
			p++;
			line_start = 1;
			continue;
		}
		if (*p == ',' || item_blank((unsigned char)*p)) {
			p++;
			continue;
		}
		break;
	}
	it->p = p;
}

static int
item_has_blank(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

/* Removes leading blanks of s in place; returns s. */
static char *
item_ltrim(char *s)
{
	size_t	n = strspn(s, " \t");

	if (n > 0)
		memmove(s, s + n, strlen(s + n) + 1);
	return s;
}

static int
item_classify(struct alias_items *it, char *buf, enum alias_item_kind *kind,
    const char **value, const char **why)
{
	if (buf[0] == '|') {
		*kind = ALIAS_ITEM_COMMAND;
		*value = item_ltrim(buf + 1);
		if (**value == '\0')
			return item_fail(it, why, "empty |command");
		return 1;
	}
	if (buf[0] == '/') {
		*kind = ALIAS_ITEM_FILE;
		*value = buf;
		return 1;
	}
	if (strncasecmp(buf, ":include:", 9) == 0) {
		*kind = ALIAS_ITEM_INCLUDE;
		*value = item_ltrim(buf + 9);
		if (**value != '/')
			return item_fail(it, why, ":include: needs an absolute "
			    "path");
		if (item_has_blank(*value))
			return item_fail(it, why, "blank inside an :include: "
			    "path");
		return 1;
	}
	if (item_has_blank(buf))
		return item_fail(it, why, "blank inside an alias target");
	if (buf[0] == '\\') {
		*kind = ALIAS_ITEM_SELF;
		*value = buf + 1;
		if (**value == '\0' || strchr(*value, '@') != NULL)
			return item_fail(it, why, "bad alias target \\");
		return 1;
	}
	*kind = ALIAS_ITEM_ADDRESS;
	*value = buf;
	return 1;
}

int
alias_items_next(struct alias_items *it, char *buf, size_t bufsz,
    enum alias_item_kind *kind, const char **value, const char **why)
{
	const char	*p;
	size_t		 n = 0, keep = 0, max;
	int		 quoted = 0, c;

	if (bufsz == 0)
		return item_fail(it, why, "alias target too long");
	max = bufsz - 1 < ALIAS_ITEM_MAX ? bufsz - 1 : ALIAS_ITEM_MAX;
	item_skip(it);
	if (*it->p == '\0')
		return 0;
	for (p = it->p; *p != '\0'; p++) {
		c = (unsigned char)*p;
		if (!quoted && (c == ',' || (c == '\n' && it->file)))
			break;
		if (c == '\n' && quoted)
			return item_fail(it, why, "unbalanced quote in an "
			    "alias target");
		if ((c < 0x20 && c != '\t' && !(c == '\r' && it->file &&
		    p[1] == '\n')) || c == 0x7f)
			return item_fail(it, why, "control byte in an alias "
			    "target");
		if (c == '"') {
			quoted = !quoted;
			keep = n;	/* "" keeps what came before */
			continue;
		}
		if (quoted && c == '\\' && (p[1] == '"' || p[1] == '\\'))
			c = (unsigned char)*++p;
		if (n >= max)
			return item_fail(it, why, "alias target too long");
		buf[n++] = (char)c;
		if (quoted || !item_blank(c))
			keep = n;
	}
	if (quoted)
		return item_fail(it, why, "unbalanced quote in an alias "
		    "target");
	it->p = p;
	buf[keep] = '\0';
	if (keep == 0)
		return item_fail(it, why, "empty alias target");
	return item_classify(it, buf, kind, value, why);
}

int
alias_file_read(int fd, char **text, const char **why)
{
	struct stat	 st;
	char		*t;
	size_t		 n = 0, i;
	ssize_t		 r;

	*text = NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -1;
	}
	if (st.st_size > ALIAS_FILE_MAX) {
		*why = "file too large";
		return -1;
	}
	/* one more than the limit, to see a file that grew meanwhile */
	if ((t = malloc(ALIAS_FILE_MAX + 2)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	while (n <= ALIAS_FILE_MAX) {
		r = read(fd, t + n, ALIAS_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(t);
			*why = "read error";
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > ALIAS_FILE_MAX) {
		free(t);
		*why = "file too large";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if ((c < 0x20 && c != '\t' && c != '\n' &&
		    !(c == '\r' && i + 1 < n && t[i + 1] == '\n')) ||
		    c == 0x7f) {
			free(t);
			*why = "control byte in the file";
			return -1;
		}
	}
	t[n] = '\0';
	*text = t;
	return 0;
}
