/*
 * dsn: RFC 3461's parameters, parsed, checked, and written back (dsn.h).
 *
 * Trust: none of the input (see dsn.h); every function is bounded by
 * its arguments and fuzzed through smtp_cmd and the queue's envelopes.
 */
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "mime_decode.h"

static const struct {
	const char	*word;
	int		 flag;
} dsn_notify_words[] = {
	{ "SUCCESS", DSN_NOTIFY_SUCCESS },
	{ "FAILURE", DSN_NOTIFY_FAILURE },
	{ "DELAY", DSN_NOTIFY_DELAY },
	{ "NEVER", DSN_NOTIFY_NEVER },
};
#define DSN_NWORDS (sizeof(dsn_notify_words) / sizeof(dsn_notify_words[0]))

int
dsn_notify_parse(const char *s, size_t n, int *flags)
{
	size_t	 i, k, len;
	int	 f = 0, found;

	if (n == 0)
		return -1;
	for (i = 0; i <= n; ) {
		len = 0;
		while (i + len < n && s[i + len] != ',')
			len++;
		found = 0;
		for (k = 0; k < DSN_NWORDS; k++) {
			if (strlen(dsn_notify_words[k].word) == len &&
			    strncasecmp(s + i, dsn_notify_words[k].word,
			    len) == 0) {
				if (f & dsn_notify_words[k].flag)
					return -1;	/* twice */
				f |= dsn_notify_words[k].flag;
				found = 1;
				break;
			}
		}
		if (!found)
			return -1;
		i += len + 1;
		if (i == n + 1)
			break;
		if (i == n)
			return -1;		/* a trailing comma */
	}
	if ((f & DSN_NOTIFY_NEVER) && f != DSN_NOTIFY_NEVER)
		return -1;
	*flags = f;
	return 0;
}

void
dsn_notify_text(int flags, char *out, size_t n)
{
	size_t	 k;

	if (n == 0)
		return;
	out[0] = '\0';
	for (k = 0; k < DSN_NWORDS; k++) {
		if (!(flags & dsn_notify_words[k].flag))
			continue;
		if (out[0] != '\0')
			(void)strlcat(out, ",", n);
		(void)strlcat(out, dsn_notify_words[k].word, n);
	}
}

int
dsn_notify_wants(int flags, int want)
{
	if (flags & DSN_NOTIFY_NEVER)
		return 0;
	if (flags == 0)
		return want == DSN_NOTIFY_FAILURE || want == DSN_NOTIFY_DELAY;
	return (flags & want) != 0;
}

int
dsn_ret_parse(const char *s, size_t n, int *ret)
{
	if (n == 4 && strncasecmp(s, "FULL", 4) == 0)
		*ret = DSN_RET_FULL;
	else if (n == 4 && strncasecmp(s, "HDRS", 4) == 0)
		*ret = DSN_RET_HDRS;
	else
		return -1;
	return 0;
}

const char *
dsn_ret_text(int ret)
{
	switch (ret) {
	case DSN_RET_FULL:
		return "FULL";
	case DSN_RET_HDRS:
		return "HDRS";
	default:
		return "";
	}
}

int
xtext_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	if (n == 0 || outsz == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 1 >= outsz)
			return -1;
		if (c == '+') {
			if (i + 2 >= n)
				return -1;
			if ((hi = mime_hexval((unsigned char)s[i + 1])) == -1 ||
			    (lo = mime_hexval((unsigned char)s[i + 2])) == -1)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		if (c < 33 || c > 126 || c == '=')
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

int
xtext_encode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 33 && c <= 126 && c != '+' && c != '=') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '+';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int
dsn_envid_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > DSN_ENVID_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int
dsn_envid_parse(const char *s, size_t n, char *out, size_t outsz)
{
	char	 tmp[DSN_ENVID_MAX + 1];

	if (xtext_decode(s, n, tmp, sizeof(tmp)) == -1 || !dsn_envid_ok(tmp) ||
	    strlcpy(out, tmp, outsz) >= outsz)
		return -1;
	return 0;
}

/* An RFC 5322 atom: letters, digits and atext's symbols. */
static int
atom_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL)))
			return 0;
	}
	return 1;
}

int
dsn_orcpt_ok(const char *s)
{
	const char	*semi = strchr(s, ';');
	size_t		 n = strlen(s);

	if (semi == NULL || n > DSN_ORCPT_MAX || semi[1] == '\0' ||
	    !atom_ok(s, (size_t)(semi - s)))
		return 0;
	for (s = semi + 1; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
dsn_orcpt_parse(const char *s, size_t n, char *out, size_t outsz)
{
	char		 tmp[DSN_ORCPT_MAX + 1];
	const char	*semi = memchr(s, ';', n);
	size_t		 tl;

	if (semi == NULL)
		return -1;
	tl = (size_t)(semi - s);
	if (!atom_ok(s, tl) || tl + 2 > sizeof(tmp))
		return -1;
	memcpy(tmp, s, tl);
	tmp[tl] = ';';
	if (xtext_decode(semi + 1, n - tl - 1, tmp + tl + 1,
	    sizeof(tmp) - tl - 1) == -1)
		return -1;
	if (!dsn_orcpt_ok(tmp) || strlcpy(out, tmp, outsz) >= outsz)
		return -1;
	return 0;
}

int
dsn_mail_params(int ret, const char *envid, char *out, size_t n)
{
	char	 x[3 * DSN_ENVID_MAX + 1];

	if (n == 0)
		return -1;
	out[0] = '\0';
	if (ret != DSN_RET_NONE && ret != DSN_RET_FULL && ret != DSN_RET_HDRS)
		return -1;
	if (ret != DSN_RET_NONE && (strlcat(out, " RET=", n) >= n ||
	    strlcat(out, dsn_ret_text(ret), n) >= n))
		goto small;
	if (envid != NULL && envid[0] != '\0') {
		if (!dsn_envid_ok(envid) ||
		    xtext_encode(envid, x, sizeof(x)) == -1) {
			out[0] = '\0';
			return -1;
		}
		if (strlcat(out, " ENVID=", n) >= n || strlcat(out, x, n) >= n)
			goto small;
	}
	return 0;
small:
	out[0] = '\0';
	return -1;
}

int
dsn_rcpt_params(int notify, const char *orcpt, char *out, size_t n)
{
	char		 t[DSN_NOTIFY_TEXT_MAX], x[3 * DSN_ORCPT_MAX + 1];
	const char	*semi;
	size_t		 tl, ol;

	if (n == 0)
		return -1;
	out[0] = '\0';
	if (notify != 0) {
		dsn_notify_text(notify, t, sizeof(t));
		if (t[0] == '\0')
			return -1;
		if (strlcat(out, " NOTIFY=", n) >= n || strlcat(out, t, n) >= n)
			goto small;
	}
	if (orcpt != NULL && orcpt[0] != '\0') {
		if (!dsn_orcpt_ok(orcpt) || (semi = strchr(orcpt, ';')) == NULL ||
		    xtext_encode(semi + 1, x, sizeof(x)) == -1) {
			out[0] = '\0';
			return -1;
		}
		tl = (size_t)(semi + 1 - orcpt);	/* "addr-type;" */
		if (strlcat(out, " ORCPT=", n) >= n ||
		    (ol = strlen(out)) + tl >= n)
			goto small;
		memcpy(out + ol, orcpt, tl);
		out[ol + tl] = '\0';
		if (strlcat(out, x, n) >= n)
			goto small;
	}
	return 0;
small:
	out[0] = '\0';
	return -1;
}
