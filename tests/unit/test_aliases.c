/*
 * test_aliases: alias expansion: chains, loops, self references, depth
 * and width limits, malformed items, case-insensitive names; commands,
 * files and :include: files with the alias and file that hold them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"

#define GOT_MAX	(ALIASES_EXPAND_MAX + 8)

struct got {
	size_t	n;
	char	*t[GOT_MAX];
	int	stop_after;	/* 0: never */
};

static char	dir[64];
static char	path[128];

static struct table *
load(const char *text)
{
	struct table	*t;
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	t = table_load(path, TABLE_ALIASES, NULL, NULL);
	assert_non_null(t);
	return t;
}

/*
 * A target as a string: an address or name as it is, \name for self,
 * "|command [alias]" and "/file [alias]", with ",include" in the brackets
 * for one read from an :include: file.
 */
static int
got_add(void *arg, const struct alias_target *t)
{
	struct got	*g = arg;
	int		 n;

	assert_true(g->n < GOT_MAX);
	if (t->kind == ALIAS_ADDRESS && t->self)
		n = asprintf(&g->t[g->n], "\\%s", t->value);
	else if (t->kind == ALIAS_ADDRESS)
		n = asprintf(&g->t[g->n], "%s", t->value);
	else
		n = asprintf(&g->t[g->n], "%s%s [%s%s%s]",
		    t->kind == ALIAS_COMMAND ? "|" : "", t->value, t->alias,
		    t->include != NULL ? "," : "",
		    t->include != NULL ? t->include : "");
	assert_true(n > 0);
	g->n++;
	return g->stop_after > 0 && g->n >= (size_t)g->stop_after;
}

/* :include: files for the tests: "/inc/NAME" is the text of incs[NAME]. */
static const char *const incs[][2] = {
	{ "/inc/list", "# members\nalice\n  bob@example.org, carol\n" },
	{ "/inc/cmds", "\"|/usr/bin/archive list\"\n/var/log/list.mbox\n" },
	{ "/inc/nested", ":include:/inc/list\ndave\n" },
	{ "/inc/loop1", ":include:/inc/loop2\n" },
	{ "/inc/loop2", ":include:/inc/loop1\n" },
	{ "/inc/bad", "alice bob\n" },
	{ "/inc/alias", "team\n" },
};
static char	include_seen[512];

static int
include_read(void *arg, const char *alias, const char *from,
    const char *file, char **text, const char **why)
{
	size_t	i;

	(void)arg;
	(void)snprintf(include_seen, sizeof(include_seen), "%s %s %s", alias,
	    from != NULL ? from : "-", file);
	for (i = 0; i < sizeof(incs) / sizeof(incs[0]); i++)
		if (strcmp(file, incs[i][0]) == 0) {
			*text = strdup(incs[i][1]);
			assert_non_null(*text);
			return 0;
		}
	*why = "cannot open the :include: file";
	return -1;
}

static int
expand(const struct table *t, const char *name, struct got *g,
    const char **why, int flags)
{
	const struct aliases_how how = { got_add, include_read, g, flags };

	return aliases_expand(t, name, &how, why);
}

static void
got_free(struct got *g)
{
	size_t	i;

	for (i = 0; i < g->n; i++)
		free(g->t[i]);
	memset(g, 0, sizeof(*g));
}

/* Expands name and checks the targets against want (NULL-terminated). */
static void
expect(const struct table *t, const char *name, const char **want)
{
	struct got	 g;
	const char	*why = NULL;
	size_t		 n;
	int		 r;

	memset(&g, 0, sizeof(g));
	for (n = 0; want[n] != NULL; n++)
		;
	r = expand(t, name, &g, &why, 0);
	assert_null(why);
	assert_int_equal(r, (int)n);
	assert_int_equal(g.n, n);
	for (n = 0; want[n] != NULL; n++)
		assert_string_equal(g.t[n], want[n]);
	got_free(&g);
}

static void
expect_fail(const struct table *t, const char *name, const char *why_want)
{
	struct got	 g;
	const char	*why = NULL;

	memset(&g, 0, sizeof(g));
	assert_int_equal(expand(t, name, &g, &why, 0), -1);
	assert_non_null(why);
	assert_string_equal(why, why_want);
	got_free(&g);
}

static int
setup(void **state)
{
	(void)state;
	(void)strlcpy(dir, "/tmp/test_aliases.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/aliases", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlink(path);
	return rmdir(dir);
}

static void
test_chains(void **state)
{
	struct table	*t;

	(void)state;
	t = load("postmaster: root\n"
	    "root: admin\n"
	    "admin: alice, bob@example.org\n"
	    "staff: admin,\n"
	    "  carol , dave@Example.NET,\n"
	    "all: staff, admin, alice\n"
	    "Mixed: Eve\n"
	    "empty-ish: ,\n"
	    "nested-empty: empty-ish, frank\n");
	expect(t, "postmaster", (const char *[]){ "alice", "bob@example.org",
	    NULL });
	expect(t, "staff", (const char *[]){ "alice", "bob@example.org",
	    "carol", "dave@Example.NET", NULL });
	/* The same target reached twice is given once. */
	expect(t, "all", (const char *[]){ "alice", "bob@example.org",
	    "carol", "dave@Example.NET", NULL });
	/* Names are case-insensitive; targets keep their case. */
	expect(t, "POSTMASTER", (const char *[]){ "alice", "bob@example.org",
	    NULL });
	expect(t, "mixed", (const char *[]){ "Eve", NULL });
	expect(t, "MIXED", (const char *[]){ "Eve", NULL });
	expect(t, "nested-empty", (const char *[]){ "frank", NULL });

	/* Not an alias: 0, the callback not called. */
	expect(t, "alice", (const char *[]){ NULL });
	expect(t, "nobody", (const char *[]){ NULL });
	expect(t, "", (const char *[]){ NULL });
	expect(NULL, "root", (const char *[]){ NULL });

	expect_fail(t, "empty-ish", "alias expands to no target");
	table_free(t);
}

static void
test_self_and_loops(void **state)
{
	struct table	*t;

	(void)state;
	t = load("root: root, admin@example.org\n"
	    "self: Self\n"
	    "a: b\n"
	    "b: c, x\n"
	    "c: a\n"
	    "p: q\n"
	    "q: p, q\n"
	    "list: list, \\bob, other\n"
	    "other: \\list\n");
	/* A name that lists itself means the local user. */
	expect(t, "root", (const char *[]){ "root", "admin@example.org", NULL });
	expect(t, "self", (const char *[]){ "Self", NULL });
	expect(t, "list", (const char *[]){ "list", "\\bob", NULL });
	/* \name is final even when name is an alias. */
	expect(t, "other", (const char *[]){ "\\list", NULL });
	expect_fail(t, "a", "alias loop");
	expect_fail(t, "b", "alias loop");
	expect_fail(t, "p", "alias loop");
	table_free(t);
}

static void
test_depth(void **state)
{
	struct table	*t;
	char		 text[1024];
	size_t		 n = 0;
	int		 i;

	(void)state;
	/* a0 -> a1 -> ... -> a9 -> end: ten nested aliases, allowed. */
	for (i = 0; i < ALIASES_DEPTH_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "a%d: a%d\n", i, i + 1);
	(void)snprintf(text + n, sizeof(text) - n, "b0: a0\n");
	t = load(text);
	expect(t, "a0", (const char *[]){ "a10", NULL });
	expect(t, "a5", (const char *[]){ "a10", NULL });
	/* One level more is too deep. */
	expect_fail(t, "b0", "alias expansion too deep");
	table_free(t);
}

static void
test_width(void **state)
{
	struct table	*t;
	struct got	 g;
	char		*text;
	const char	*why = NULL;
	size_t		 n = 0, cap = 64 * 1024;
	int		 i, j;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	/* w: g0..g9, each gI with 100 addresses: exactly 1000 targets. */
	n += (size_t)snprintf(text + n, cap - n, "w: g0");
	for (i = 1; i < 10; i++)
		n += (size_t)snprintf(text + n, cap - n, ", g%d", i);
	n += (size_t)snprintf(text + n, cap - n, "\nwider: w, one@more\n");
	for (i = 0; i < 10; i++) {
		n += (size_t)snprintf(text + n, cap - n, "g%d: u%d_0@x", i, i);
		for (j = 1; j < 100; j++)
			n += (size_t)snprintf(text + n, cap - n,
			    ",\n  u%d_%d@x", i, j);
		n += (size_t)snprintf(text + n, cap - n, "\n");
	}
	assert_true(n < cap);
	t = load(text);
	free(text);
	memset(&g, 0, sizeof(g));
	assert_int_equal(expand(t, "w", &g, &why, 0), ALIASES_EXPAND_MAX);
	assert_int_equal(g.n, ALIASES_EXPAND_MAX);
	assert_string_equal(g.t[0], "u0_0@x");
	assert_string_equal(g.t[999], "u9_99@x");
	got_free(&g);
	expect_fail(t, "wider", "alias expansion too wide");

	/* The callback can stop the expansion. */
	memset(&g, 0, sizeof(g));
	g.stop_after = 3;
	why = NULL;
	assert_int_equal(expand(t, "w", &g, &why, 0), -1);
	assert_string_equal(why, "alias expansion stopped by the caller");
	assert_int_equal(g.n, 3);
	got_free(&g);
	table_free(t);
}

static void
test_forms(void **state)
{
	struct table	*t;

	(void)state;
	t = load("pipe: alice, |/usr/bin/vacation alice\n"
	    "file: /var/log/mail.archive, /home/x/Maildir/\n"
	    "quoted: \"|cmd \\\"a, b\\\"\", \"/path with space\"\n"
	    "deep: ok@x, pipe\n"
	    "inc: :include:/inc/list\n"
	    "INC2: :INCLUDE:/inc/cmds, alice\n"
	    "nest: :include:/inc/nested\n"
	    "viaalias: :include:/inc/alias\n"
	    "team: alice, bob\n"
	    "twice: pipe, |/usr/bin/vacation alice\n");
	expect(t, "pipe", (const char *[]){ "alice",
	    "|/usr/bin/vacation alice [pipe]", NULL });
	expect(t, "file", (const char *[]){ "/var/log/mail.archive [file]",
	    "/home/x/Maildir/ [file]", NULL });
	expect(t, "quoted", (const char *[]){ "|cmd \"a, b\" [quoted]",
	    "/path with space [quoted]", NULL });
	/* A command found through another alias names that alias. */
	expect(t, "deep", (const char *[]){ "ok@x", "alice",
	    "|/usr/bin/vacation alice [pipe]", NULL });
	expect(t, "inc", (const char *[]){ "alice", "bob@example.org",
	    "carol", NULL });
	assert_string_equal(include_seen, "inc - /inc/list");
	expect(t, "inc2", (const char *[]){
	    "|/usr/bin/archive list [inc2,/inc/cmds]",
	    "/var/log/list.mbox [inc2,/inc/cmds]", "alice", NULL });
	/* an include in an include says which file names it */
	expect(t, "nest", (const char *[]){ "alice", "bob@example.org",
	    "carol", "dave", NULL });
	assert_string_equal(include_seen, "nest /inc/nested /inc/list");
	/* names in an :include: file are aliases too */
	expect(t, "viaalias", (const char *[]){ "alice", "bob", NULL });
	/* the same command through two aliases is two targets */
	expect(t, "twice", (const char *[]){ "alice",
	    "|/usr/bin/vacation alice [pipe]",
	    "|/usr/bin/vacation alice [twice]", NULL });
	table_free(t);
}

static void
test_one_level(void **state)
{
	struct table	*t;
	struct got	 g;
	const char	*why = NULL;

	(void)state;
	t = load("list: |/bin/a, sub, :include:/inc/alias\n"
	    "sub: |/bin/b\n"
	    "team: alice\n");
	memset(&g, 0, sizeof(g));
	assert_int_equal(expand(t, "list", &g, &why, ALIASES_ONE_LEVEL), 3);
	assert_string_equal(g.t[0], "|/bin/a [list]");
	assert_string_equal(g.t[1], "sub");
	assert_string_equal(g.t[2], "team");
	got_free(&g);
	table_free(t);
}

static void
test_unsupported(void **state)
{
	struct table	*t;
	struct got	 g;
	const char	*why = NULL;
	const struct aliases_how no_include = { got_add, NULL, &g, 0 };
	char		 text[2200];

	(void)state;
	t = load("inc: :include:/etc/mail/list\n"
	    "rel: :include:etc/list\n"
	    "loop: :include:/inc/loop1\n"
	    "bad: :include:/inc/bad\n"
	    "empty: \"\"\n"
	    "pipe0: |\n"
	    "open: \"|cmd\n"
	    "bs: \\\n"
	    "blank: alice bob, carol\n"
	    "tab: alice,bob\tcarol\n");
	expect_fail(t, "inc", "cannot open the :include: file");
	expect_fail(t, "rel", ":include: needs an absolute path");
	expect_fail(t, "loop", ":include: loop");
	expect_fail(t, "bad", "blank inside an alias target");
	expect_fail(t, "empty", "empty alias target");
	expect_fail(t, "pipe0", "empty |command");
	expect_fail(t, "open", "unbalanced quote in an alias target");
	expect_fail(t, "bs", "bad alias target \\");
	expect_fail(t, "blank", "blank inside an alias target");
	expect_fail(t, "tab", "blank inside an alias target");
	/* without an include reader, :include: is refused */
	memset(&g, 0, sizeof(g));
	assert_int_equal(aliases_expand(t, "loop", &no_include, &why), -1);
	assert_string_equal(why, "unsupported alias form :include:");
	table_free(t);

	/* A target longer than an address may be. */
	memcpy(text, "long: ", 6);
	memset(text + 6, 'a', 1001);
	memcpy(text + 1007, "@x\n", 4);
	t = load(text);
	expect_fail(t, "long", "alias target too long");
	table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_self_and_loops),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_one_level),
		cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
