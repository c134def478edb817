/*
 * tls_err: the error messages of the TLS layer: the caller's words, with
 * OpenSSL's reason appended when it has one, into the caller's buffer.
 * OpenSSL's error queue is cleared each time, so that a stale error never
 * becomes the reason for the next failure.
 *
 * Trust: none needed; OpenSSL's reasons are put in as text, cut to the
 * buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "tls_int.h"

static void
tls_vseterr(char *err, size_t errlen, int with_reason, const char *fmt,
    va_list ap)
{
	char		 what[512];
	const char	*reason = NULL;
	unsigned long	 e;

	e = ERR_peek_last_error();
	if (with_reason && e != 0)
		reason = ERR_reason_error_string(e);
	ERR_clear_error();
	if (err == NULL || errlen == 0)
		return;
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	if (reason != NULL)
		(void)snprintf(err, errlen, "%s: %s", what, reason);
	else
		(void)snprintf(err, errlen, "%s", what);
}

void
tls_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tls_vseterr(err, errlen, 1, fmt, ap);
	va_end(ap);
}

void
tls_setmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tls_vseterr(err, errlen, 0, fmt, ap);
	va_end(ap);
}
