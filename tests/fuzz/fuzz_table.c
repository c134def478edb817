/*
 * libFuzzer target for lib/conf/table.c, lib/conf/aliases.c and
 * lib/route/lroute.c's virtual lookups: writes the input to a temporary
 * file, loads it in each table format, and checks that every error is one
 * clean line naming the file, that a table comes back only without
 * errors, that an aliases table expands without crashing, within its
 * limits, to clean targets (an :include: file read as the input itself),
 * and that a virtual alias table gives clean targets within their limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "aliases.h"
#include "conf.h"
#include "lroute.h"
#include "table.h"

static char	path[64];

static void
check_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

/* As check_clean, but a tab may be there. */
static void
check_clean_tab(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
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

static const uint8_t	*input;
static size_t		 input_len;

static int
check_target(void *arg, const struct alias_target *t)
{
	int	*n = arg;

	if (*t->value == '\0' || strlen(t->value) > 1000 ||
	    t->alias == NULL || *t->alias == '\0')
		abort();
	/*
	 * A command's or a file's item may hold blanks, tabs included
	 * (alias_item.c keeps them inside an item); an address never.
	 */
	if (t->kind == ALIAS_ADDRESS)
		check_clean(t->value);
	else
		check_clean_tab(t->value);
	if (t->include != NULL && t->include[0] != '/')
		abort();
	(*n)++;
	return 0;
}

/* Every :include: file is the input again, up to its first NUL. */
static int
include_read(void *arg, const char *alias, const char *from,
    const char *file, char **text, const char **why)
{
	(void)arg;
	(void)alias;
	(void)from;
	if (file[0] != '/')
		abort();
	if ((*text = strndup((const char *)input, input_len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum table_format fmts[] = { TABLE_ALIASES, TABLE_PASSWD,
	    TABLE_LIST, TABLE_MAP, TABLE_ADDRS };
	static const char *addrs[] = { "a@b", "A+x@B", "root@example.org",
	    "x+y+z@b", NULL };
	static struct conf *conf;
	static const char *names[] = { "root", "postmaster", "a", "Root", "x",
	    NULL };
	struct table	*t;
	const char	*why;
	size_t		 nerr, i, j, nt;
	int		 fd, r, n;
	const struct aliases_how how = { check_target, include_read, &n, 0 };
	char		 out[4096], *p;

	input = data;
	input_len = size;
	if (conf == NULL && (conf = conf_load_buf("recipient_delimiter = +-\n",
	    25, "fuzz", NULL, NULL)) == NULL)
		abort();
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
				r = aliases_expand(t, names[j], &how, &why);
				if ((r == -1 && why == NULL) ||
				    (r >= 0 && r != n) ||
				    r > ALIASES_EXPAND_MAX)
					abort();
			}
		if (fmts[i] == TABLE_ADDRS)
			for (j = 0; addrs[j] != NULL; j++) {
				why = NULL;
				r = lroute_virtual(conf, t, addrs[j], out,
				    sizeof(out), &nt, &why);
				if (r == -1 && why == NULL)
					abort();
				for (p = out; r == 1 && nt > 0; nt--) {
					if (*p == '\0' || strlen(p) > 1000)
						abort();
					check_clean(p);
					p += strlen(p) + 1;
				}
			}
		table_free(t);
	}
	return 0;
}
