/*
 * libFuzzer target for lib/conf/alias_item.c: splits the input into items
 * as an alias value and as a file (.forward, :include:), and checks that
 * every item is clean, within ALIAS_ITEM_MAX, of a known kind and of its
 * kind's shape; that the splitting ends; and that a file is read back
 * whole or refused with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias_item.h"

static void
check_items(const char *text, int file)
{
	struct alias_items	 it;
	enum alias_item_kind	 kind;
	char			 buf[ALIAS_ITEM_MAX + 1];
	const char		*value, *why;
	size_t			 n = 0, k;
	int			 r;

	alias_items_init(&it, text, file);
	for (;;) {
		why = NULL;
		r = alias_items_next(&it, buf, sizeof(buf), &kind, &value,
		    &why);
		if (r == 0)
			break;
		if (r == -1) {
			if (why == NULL)
				abort();
			/* nothing more after an error */
			if (alias_items_next(&it, buf, sizeof(buf), &kind,
			    &value, &why) != 0)
				abort();
			break;
		}
		if (r != 1 || ++n > strlen(text) + 1)
			abort();
		if ((k = strlen(value)) == 0 || k > ALIAS_ITEM_MAX ||
		    value < buf || value >= buf + sizeof(buf))
			abort();
		if (memchr(value, '\n', k) != NULL)
			abort();
		switch (kind) {
		case ALIAS_ITEM_INCLUDE:
			if (value[0] != '/' || strpbrk(value, " \t") != NULL)
				abort();
			break;
		case ALIAS_ITEM_SELF:
			if (strchr(value, '@') != NULL)
				abort();
			/* FALLTHROUGH */
		case ALIAS_ITEM_ADDRESS:
			if (strpbrk(value, " \t") != NULL)
				abort();
			break;
		case ALIAS_ITEM_FILE:
			if (value[0] != '/')
				abort();
			break;
		case ALIAS_ITEM_COMMAND:
			break;
		default:
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text, *back;
	const char	*why = NULL;
	int		 p[2];

	if ((text = strndup((const char *)data, size)) == NULL)
		abort();
	check_items(text, 0);
	check_items(text, 1);
	free(text);
	/* the same bytes as a file: read back whole, or refused */
	if (size <= 65536 && pipe(p) == 0) {
		if (write(p[1], data, size) != (ssize_t)size)
			abort();
		(void)close(p[1]);
		/* a pipe is not a regular file: always refused */
		if (alias_file_read(p[0], &back, &why) != -1 || why == NULL)
			abort();
		(void)close(p[0]);
	}
	return 0;
}
