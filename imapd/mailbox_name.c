/*
 * mailbox_name: checking IMAP mailbox names and mapping them to Maildir++
 * directories (see mailbox_name.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap_parse.h"
#include "imap_utf7.h"
#include "mailbox_name.h"

int
mailbox_name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int
mailbox_name_is_child(const char *name, const char *parent)
{
	size_t	 n = strlen(parent);

	return strncmp(name, parent, n) == 0 && name[n] == MAILBOX_DELIM;
}

/* Checks a UTF-8 name; NULL when fine, else the reason. */
static const char *
mailbox_name_check(const char *s)
{
	size_t		 n = strlen(s), i;
	unsigned char	 c;

	if (n == 0)
		return "empty mailbox name";
	if (n > MAILBOX_NAME_MAX)
		return "mailbox name too long";
	if (!imap_utf8_valid(s, n))
		return "mailbox name is not valid UTF-8";
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return "control character in mailbox name";
		if (c == '/' || c == '\\')
			return "'/' and '\\' are not allowed in mailbox names";
		if (c == '%' || c == '*')
			return "wildcards are not allowed in mailbox names";
	}
	if (s[0] == MAILBOX_DELIM || s[n - 1] == MAILBOX_DELIM)
		return "mailbox name starts or ends with the hierarchy "
		    "delimiter";
	if (strstr(s, "..") != NULL)
		return "empty level in mailbox name";
	return NULL;
}

int
mailbox_name_from_wire(const char *s, size_t n, int utf8, char *out,
    size_t outlen, const char **why)
{
	*why = NULL;
	if (memchr(s, '\0', n) != NULL) {
		*why = "NUL in mailbox name";
		return -1;
	}
	if (utf8) {
		if (n >= outlen || !imap_utf8_valid(s, n)) {
			*why = n >= outlen ? "mailbox name too long" :
			    "mailbox name is not valid UTF-8";
			return n >= outlen ? -2 : -1;
		}
		memcpy(out, s, n);
		out[n] = '\0';
	} else if (imap_utf7_decode(s, n, out, outlen) == -1) {
		*why = "mailbox name is not valid modified UTF-7";
		return -1;
	}
	/* INBOX is case-insensitive, as the first level of its children */
	if (mailbox_name_is_inbox(out) || (strncasecmp(out, "INBOX", 5) == 0 &&
	    out[5] == MAILBOX_DELIM))
		memcpy(out, "INBOX", 5);
	if ((*why = mailbox_name_check(out)) != NULL)
		return -2;
	return 0;
}

int
mailbox_name_to_wire(const char *name, int utf8, char *out, size_t outlen)
{
	if (utf8)
		return strlcpy(out, name, outlen) >= outlen ? -1 : 0;
	return imap_utf7_encode(name, strlen(name), out, outlen);
}

int
mailbox_name_dir(const char *name, char *out, size_t outlen)
{
	if (mailbox_name_check(name) != NULL)
		return -1;
	if (strcmp(name, "INBOX") == 0)
		return strlcpy(out, ".", outlen) >= outlen ? -1 : 0;
	if (outlen < 2)
		return -1;
	out[0] = '.';
	if (imap_utf7_encode(name, strlen(name), out + 1, outlen - 1) == -1 ||
	    strlen(out) > MAILBOX_NAME_MAX)
		return -1;
	return 0;
}

int
mailbox_name_from_dir(const char *entry, char *out, size_t outlen)
{
	if (entry[0] != '.' || entry[1] == '\0' || entry[1] == '.' ||
	    strlen(entry) > MAILBOX_NAME_MAX + 1)
		return -1;
	if (imap_utf7_decode(entry + 1, strlen(entry + 1), out, outlen) == -1)
		return -1;
	/* ".INBOX" would shadow INBOX itself: not ours to show. */
	if (mailbox_name_is_inbox(out) || mailbox_name_check(out) != NULL)
		return -1;
	return 0;
}
