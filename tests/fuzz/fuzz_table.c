/*
 * libFuzzer target for lib/conf/table.c and lib/conf/aliases.c: writes the input to
 * a temporary file, loads it in each table format, and checks that every
 * error is one clean line naming the file, that a table comes back only
 * without errors, and that an aliases table expands without crashing,
 * within its limits, to clean targets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "aliases.h"
#include "table.h"

static char	path[64];

static void
check_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_error(void *arg, const char *msg)
{
	size_t	*n = arg;

	(*n)++;
	if (strncmp(msg, path, strlen(path)) != 0)
		abort();
	check_clean(msg);
}

static void
remove_tmp(void)
{
	(void)unlink(path);
}

static int
check_target(void *arg, const char *t)
{
	int	*n = arg;

	if (*t == '\0' || strlen(t) > 1000)
		abort();
	check_clean(t);
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum table_format fmts[] = { TABLE_ALIASES, TABLE_PASSWD,
	    TABLE_LIST, TABLE_MAP };
	static const char *names[] = { "root", "postmaster", "a", "Root", "x",
	    NULL };
	struct table	*t;
	const char	*why;
	size_t		 nerr, i, j;
	int		 fd, r, n;

	if (path[0] == '\0') {
		(void)strlcpy(path, "/tmp/fuzz_table.XXXXXX", sizeof(path));
		if ((fd = mkstemp(path)) == -1 || atexit(remove_tmp) != 0)
			abort();
	} else if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size || close(fd) == -1)
		abort();
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		nerr = 0;
		t = table_load(path, fmts[i], check_error, &nerr);
		if ((t == NULL) != (nerr > 0))
			abort();
		if (t == NULL)
			continue;
		if (fmts[i] == TABLE_ALIASES)
			for (j = 0; names[j] != NULL; j++) {
				n = 0;
				why = NULL;
				r = aliases_expand(t, names[j], check_target,
				    &n, &why);
				if ((r == -1 && why == NULL) ||
				    (r >= 0 && r != n) ||
				    r > ALIASES_EXPAND_MAX)
					abort();
			}
		table_free(t);
	}
	return 0;
}
