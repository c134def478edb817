/*
 * libFuzzer target for lib/smtp/smtp_cmd.c: splits the input as a command line,
 * then feeds the argument to every argument parser, and checks what they
 * promise: the verb is upper-case letters, the argument lies inside the
 * line, parsed paths carry no control bytes, sizes respect their maximum.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_cmd.h"

static void
check_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char		*p = (const char *)data;
	struct smtp_cmd		 c;
	struct smtp_err		 e;
	struct smtp_mail_args	 m;
	struct mailpath		 mp;
	char			 helo[SMTP_HELO_MAX + 1];
	unsigned long long	 sz;
	int			 last;
	size_t			 i;

	if (smtp_cmd_split(p, n, &c, &e) == 0) {
		if (n > SMTP_CMD_LINE_MAX - 2 || c.verb[0] == '\0')
			abort();
		for (i = 0; c.verb[i] != '\0'; i++)
			if (!isupper((unsigned char)c.verb[i]))
				abort();
		if (c.arg < p || c.arg + c.arglen > p + n)
			abort();
		if (memchr(c.arg, '\0', c.arglen) != NULL ||
		    memchr(c.arg, '\r', c.arglen) != NULL ||
		    memchr(c.arg, '\n', c.arglen) != NULL)
			abort();
	} else if (e.code < 500 || e.enh == NULL || e.text == NULL)
		abort();

	/* The argument parsers on the raw input as well. */
	if (smtp_mail_parse(p, n, &m, &e) == 0) {
		check_text(m.path.text);
		if (m.path.utf8 && !m.smtputf8)
			abort();
		if (m.size < -1)
			abort();
	}
	for (last = 0; last < 2; last++)
		if (smtp_rcpt_parse(p, n, last, &mp, &e) == 0) {
			check_text(mp.text);
			if (mp.null || (mp.utf8 && !last))
				abort();
		}
	if (smtp_bdat_parse(p, n, 1000000, &sz, &last, &e) == 0 &&
	    sz > 1000000)
		abort();
	if (smtp_helo_parse(p, n, helo, &e) == 0) {
		if (strlen(helo) != n)
			abort();
		check_text(helo);
	}
	return 0;
}
