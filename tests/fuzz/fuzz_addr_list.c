/*
 * libFuzzer target for lib/mail/addr_list.c (and its tokenizer, addr_token.c):
 * parses the input as an address list with and without PATH_ALLOW_UTF8 /
 * PATH_ALLOW_NO_DOMAIN, checks each address handed to the callback
 * (limits, no control bytes, reads back through path_parse unchanged),
 * that a callback's nonzero result stops the parse and is returned, and
 * that failures carry a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

struct state {
	int	flags;
	size_t	count;
	size_t	stop_at;
};

static int
check_cb(void *arg, const struct mailpath *mp)
{
	struct state		*st = arg;
	struct mailpath		 again;
	const char		*why;
	const unsigned char	*p;
	size_t			 used, tlen;

	st->count++;
	if (mp->null || mp->local[0] == '\0')
		abort();
	if (mp->domain[0] == '\0' && !(st->flags & PATH_ALLOW_NO_DOMAIN))
		abort();
	tlen = strnlen(mp->text, ADDR_TEXT_MAX + 1);
	if (tlen > ADDR_TEXT_MAX || strlen(mp->local) > ADDR_LOCAL_MAX ||
	    strlen(mp->domain) > ADDR_DOMAIN_MAX)
		abort();
	for (p = (const unsigned char *)mp->text; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (*p >= 0x80 && !(st->flags & PATH_ALLOW_UTF8)))
			abort();
	if (path_parse(mp->text, tlen, st->flags | PATH_NO_BRACKETS, &again,
	    &used, &why) != 0 || used != tlen ||
	    strcmp(again.text, mp->text) != 0 ||
	    strcmp(again.local, mp->local) != 0 ||
	    strcmp(again.domain, mp->domain) != 0)
		abort();
	if (st->stop_at != 0 && st->count == st->stop_at)
		return 42;
	return 0;
}

static void
fuzz_one(const char *s, size_t n, int flags, size_t stop_at)
{
	struct state	 st;
	const char	*why = NULL;
	int		 r;

	memset(&st, 0, sizeof(st));
	st.flags = flags;
	st.stop_at = stop_at;
	r = addrlist_parse(s, n, flags, check_cb, &st, &why);
	if (r == -1 && why == NULL)
		abort();
	if (r == 42 && (stop_at == 0 || st.count != stop_at))
		abort();
	if (r == 0 && stop_at != 0 && st.count >= stop_at)
		abort();
	if (r != 0 && r != -1 && r != 42)
		abort();
	if (st.count > 10000)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	fuzz_one(s, size, 0, 0);
	fuzz_one(s, size, PATH_ALLOW_UTF8 | PATH_ALLOW_NO_DOMAIN, 0);
	fuzz_one(s, size, PATH_ALLOW_NO_DOMAIN, 2);
	return 0;
}
