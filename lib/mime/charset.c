/*
 * charset: conversion of MIME charsets to UTF-8 (see charset.h): the
 * common charsets by hand, the others through a small cache of iconv
 * descriptors.
 *
 * Trust: names and texts are strangers'; a name is refused unless it is
 * short printable ASCII without '/' or ',' (no iconv option or list
 * reaches iconv_open).
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"
#include "utf8.h"

enum native { NAT_NONE, NAT_ASCII, NAT_UTF8, NAT_CP1252 };

struct alias {
	const char	*name;
	enum native	 native;
	const char	*iconv;		/* NULL: the name itself */
};

/* Names mail uses that iconv knows under another name, or not at all. */
static const struct alias aliases[] = {
	{ "us-ascii", NAT_ASCII, NULL },
	{ "ascii", NAT_ASCII, NULL },
	{ "ansi_x3.4-1968", NAT_ASCII, NULL },
	{ "iso646-us", NAT_ASCII, NULL },
	{ "us", NAT_ASCII, NULL },
	{ "utf-8", NAT_UTF8, NULL },
	{ "utf8", NAT_UTF8, NULL },
	{ "iso-8859-1", NAT_CP1252, NULL },
	{ "iso8859-1", NAT_CP1252, NULL },
	{ "iso_8859-1", NAT_CP1252, NULL },
	{ "latin1", NAT_CP1252, NULL },
	{ "l1", NAT_CP1252, NULL },
	{ "cp819", NAT_CP1252, NULL },
	{ "windows-1252", NAT_CP1252, NULL },
	{ "cp1252", NAT_CP1252, NULL },
	{ "x-cp1252", NAT_CP1252, NULL },
	{ "gb2312", NAT_NONE, "GB18030" },
	{ "gbk", NAT_NONE, "GB18030" },
	{ "x-gbk", NAT_NONE, "GB18030" },
	{ "cp936", NAT_NONE, "GB18030" },
	{ "euc-cn", NAT_NONE, "GB18030" },
	{ "csgb2312", NAT_NONE, "GB18030" },
	{ "ks_c_5601-1987", NAT_NONE, "CP949" },
	{ "ks_c_5601", NAT_NONE, "CP949" },
	{ "euc-kr", NAT_NONE, "CP949" },
	{ "windows-949", NAT_NONE, "CP949" },
	{ "korean", NAT_NONE, "CP949" },
	{ "shift_jis", NAT_NONE, "WINDOWS-31J" },
	{ "shift-jis", NAT_NONE, "WINDOWS-31J" },
	{ "sjis", NAT_NONE, "WINDOWS-31J" },
	{ "x-sjis", NAT_NONE, "WINDOWS-31J" },
	{ "ms_kanji", NAT_NONE, "WINDOWS-31J" },
	{ "cp932", NAT_NONE, "WINDOWS-31J" },
	{ "big5", NAT_NONE, "BIG5-HKSCS" },
	{ "x-x-big5", NAT_NONE, "BIG5-HKSCS" },
	{ "iso-8859-8-i", NAT_NONE, "ISO-8859-8" },
	{ "iso-8859-6-i", NAT_NONE, "ISO-8859-6" },
	{ "iso-8859-8-e", NAT_NONE, "ISO-8859-8" },
	{ "iso-8859-6-e", NAT_NONE, "ISO-8859-6" },
	{ "tis-620", NAT_NONE, "CP874" },
	{ "windows-874", NAT_NONE, "CP874" },
	{ "unicode-1-1-utf-7", NAT_NONE, "UTF-7" },
	{ "x-mac-roman", NAT_NONE, "MACINTOSH" },
	{ "mac", NAT_NONE, "MACINTOSH" },
	{ "euc-jp", NAT_NONE, "EUC-JP-MS" },
	{ "iso-2022-jp", NAT_NONE, "ISO-2022-JP-3" },
	{ "cseucpkdfmtjapanese", NAT_NONE, "EUC-JP-MS" },
};

/* Labels that name no charset: the bytes are unknown. */
static const char *const unknown[] = {
	"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default",
	"8bit", "7bit", "binary", "us-ascii//translit",
};

struct cached {
	char	 name[CHARSET_NAME_MAX + 1];
	iconv_t	 cd;
	int	 used;
};

static struct cached	cache[CHARSET_CACHE];
static int		cache_clock;

static int
name_lower(const char *name, size_t namelen, char out[CHARSET_NAME_MAX + 1])
{
	size_t	i;

	/* Trimmed: `charset=" utf-8 "` is seen. */
	while (namelen > 0 && (*name == ' ' || *name == '\t')) {
		name++;
		namelen--;
	}
	while (namelen > 0 &&
	    (name[namelen - 1] == ' ' || name[namelen - 1] == '\t'))
		namelen--;
	if (namelen == 0 || namelen > CHARSET_NAME_MAX)
		return -1;
	for (i = 0; i < namelen; i++) {
		unsigned char c = (unsigned char)name[i];
		/* Names are printable ASCII; iconv must see no '/' option. */
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',')
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[namelen] = '\0';
	return 0;
}

static const struct alias *
alias_find(const char *lname)
{
	size_t	i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].name, lname) == 0)
			return &aliases[i];
	return NULL;
}

static int
is_unknown_label(const char *lname)
{
	size_t	i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (strcmp(unknown[i], lname) == 0)
			return 1;
	return 0;
}

/* A descriptor converting from lname (already aliased), or (iconv_t)-1. */
static iconv_t
cache_get(const char *iname)
{
	struct cached	*c, *victim = &cache[0];
	size_t		 i;

	for (i = 0; i < CHARSET_CACHE; i++) {
		c = &cache[i];
		if (c->name[0] != '\0' && strcasecmp(c->name, iname) == 0) {
			c->used = ++cache_clock;
			/* Back to the initial shift state. */
			iconv(c->cd, NULL, NULL, NULL, NULL);
			return c->cd;
		}
		if (c->used < victim->used)
			victim = c;
	}
	c = victim;
	if (c->name[0] != '\0') {
		iconv_close(c->cd);
		c->name[0] = '\0';
	}
	c->cd = iconv_open("UTF-8", iname);
	if (c->cd == (iconv_t)-1)
		return c->cd;
	strlcpy(c->name, iname, sizeof(c->name));
	c->used = ++cache_clock;
	return c->cd;
}

void
charset_cache_free(void)
{
	size_t	i;

	for (i = 0; i < CHARSET_CACHE; i++) {
		if (cache[i].name[0] != '\0')
			iconv_close(cache[i].cd);
		cache[i].name[0] = '\0';
		cache[i].used = 0;
	}
}

static int
append_fffd(struct buf *out)
{
	return buf_append(out, "\xef\xbf\xbd", 3);
}

static int
convert_iconv(iconv_t cd, const char *in, size_t n, struct buf *out)
{
	char	 tmp[4096], *o;
	char	*ip = (char *)(uintptr_t)in;
	size_t	 left = n, oleft, r;

	while (left > 0) {
		o = tmp;
		oleft = sizeof(tmp);
		r = iconv(cd, &ip, &left, &o, &oleft);
		if (utf8_sanitize(tmp, (size_t)(o - tmp), UTF8_FALLBACK_FFFD,
		    out) == -1)
			return -1;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (append_fffd(out) == -1)
			return -1;
		if (errno == EINVAL)	/* cut short at the end */
			break;
		ip++;			/* EILSEQ: skip one byte */
		left--;
	}
	o = tmp;
	oleft = sizeof(tmp);
	(void)iconv(cd, NULL, NULL, &o, &oleft);
	return utf8_sanitize(tmp, (size_t)(o - tmp), UTF8_FALLBACK_FFFD, out);
}

/* Which converter, and for iconv which name; -1 when unknown. */
static int
charset_pick(const char *name, size_t namelen, enum native *nat,
    char iname[CHARSET_NAME_MAX + 1])
{
	const struct alias	*a;

	if (name_lower(name, namelen, iname) == -1 || is_unknown_label(iname))
		return -1;
	*nat = NAT_NONE;
	if ((a = alias_find(iname)) != NULL) {
		*nat = a->native;
		if (a->iconv != NULL)
			strlcpy(iname, a->iconv, CHARSET_NAME_MAX + 1);
	}
	return 0;
}

int
charset_known(const char *name, size_t namelen)
{
	char		iname[CHARSET_NAME_MAX + 1];
	enum native	nat;

	if (charset_pick(name, namelen, &nat, iname) == -1)
		return 0;
	return nat != NAT_NONE || cache_get(iname) != (iconv_t)-1;
}

int
charset_to_utf8(const char *name, size_t namelen, const char *in, size_t n,
    struct buf *out)
{
	char		iname[CHARSET_NAME_MAX + 1];
	enum native	nat;
	iconv_t		cd;

	if (charset_pick(name, namelen, &nat, iname) == -1)
		return 1;
	switch (nat) {
	case NAT_ASCII:
		return utf8_sanitize(in, n, UTF8_FALLBACK_CP1252, out);
	case NAT_UTF8:
		return utf8_sanitize(in, n, UTF8_FALLBACK_FFFD, out);
	case NAT_CP1252: {
		const unsigned char	*u = (const unsigned char *)in;
		size_t			 i, run = 0;
		char			 enc[4];

		for (i = 0; i < n; i++) {
			if (u[i] >= 0x80 || u[i] == 0) {
				if (buf_append(out, in + run, i - run) == -1)
					return -1;
				if (buf_append(out, enc, utf8_encode(u[i] == 0 ?
				    UTF8_REPLACEMENT : utf8_cp1252(u[i]),
				    enc)) == -1)
					return -1;
				run = i + 1;
			}
		}
		return buf_append(out, in + run, n - run);
	}
	case NAT_NONE:
		break;
	}
	if ((cd = cache_get(iname)) == (iconv_t)-1)
		return 1;
	return convert_iconv(cd, in, n, out);
}
