/*
 * smtp_reply: the SMTP client's parser of server replies (RFC 5321
 * section 4.2), fed one line at a time, and of the EHLO keywords.  Pure
 * functions on bytes, no I/O, so they are unit tested and fuzzed on
 * their own; the remote delivery reads the lines (remote/smtp_io.c).
 *
 * The parser is strict, because the bytes come from any host on the
 * Internet (OpenSMTPD's CVE-2020-8794 came from a lenient one): every
 * line is three digits (2xx to 5xx), then a space, a hyphen or the end of
 * the line; every line of one reply has the same code; a hyphen means
 * another line follows and anything else ends the reply; a line holds no
 * NUL, no CR but in its CRLF and no other control byte but HT.  A bare LF
 * ends a line as CRLF does (servers that send it exist and the meaning is
 * not in doubt).  Limits, each a refusal, never a truncation of the
 * protocol: SMTP_REPLY_LINE_MAX octets per line (RFC 5321 4.5.3.1.5 says
 * 512; real servers send longer), SMTP_REPLY_LINES_MAX lines per reply.
 * Only the text kept for diagnostics is cut, at SMTP_REPLY_TEXT_MAX.
 */
#ifndef FACTEUR_SMTP_REPLY_H
#define FACTEUR_SMTP_REPLY_H
#include <stddef.h>

#define SMTP_REPLY_LINE_MAX	2048	/* octets of one line, CRLF included */
#define SMTP_REPLY_LINES_MAX	64	/* lines of one reply */
#define SMTP_REPLY_TEXT_MAX	4096	/* octets of text kept, all lines */

struct smtp_reply {
	int	 code;		/* 200..599 once a line was taken */
	char	 enhanced[12];	/* "5.1.1" from the first line, or "" */
	size_t	 nlines;
	int	 done;		/* the last line was seen */
	size_t	 textlen;
	/* each line's text (after "250-"), NUL-terminated, one after the
	 * other; lines past the room are counted but not kept */
	char	 text[SMTP_REPLY_TEXT_MAX + 1];
	size_t	 nkept;		/* lines whose text is in text[] */
};

void	smtp_reply_init(struct smtp_reply *);
/*
 * Takes one line, line[0..n), its terminator (LF or CRLF) included.
 * Returns 1 when the reply is complete, 0 when another line must follow,
 * or -1 with *why (a static string) when the line breaks a rule above; a
 * reply that failed once stays failed.
 */
int	smtp_reply_line(struct smtp_reply *, const char *line, size_t n,
	    const char **why);
/*
 * The reply on one line for logs and diagnostics, as Postfix shows it:
 * "550 5.1.1 <a@b>: Recipient address rejected", the lines' texts joined
 * by a space; bytes outside printable ASCII become '?'.  Always
 * NUL-terminated; cut at size - 1.
 */
void	smtp_reply_oneline(const struct smtp_reply *, char *out, size_t size);
/* The text of line i (0-based), or NULL past the lines kept. */
const char *smtp_reply_text(const struct smtp_reply *, size_t i);

/* What a server said it supports in its EHLO reply. */
struct smtp_ext {
	int		 pipelining;
	int		 eightbitmime;
	int		 smtputf8;
	int		 starttls;
	int		 dsn;
	int		 auth_plain;
	int		 auth_login;
	long long	 size;		/* SIZE limit; 0 none given or 0; -1 no SIZE */
};

/*
 * Reads the keywords of a 250 EHLO reply (every line after the first):
 * PIPELINING, 8BITMIME, SMTPUTF8, STARTTLS, DSN, SIZE [n], AUTH with its
 * mechanisms (and the old "AUTH=" form).  Unknown keywords are ignored; a
 * SIZE that is not a number is taken as no SIZE.
 */
void	smtp_ehlo_parse(const struct smtp_reply *, struct smtp_ext *);

/*
 * The enhanced status code of a reply text: "5.1.1" when text starts
 * with class.subject.detail (class the same digit as code's first, each
 * part 1 to 3 digits), copied into out (12 octets); otherwise the default
 * for the code: "2.0.0", "4.0.0" or "5.0.0".
 */
void	smtp_reply_dsn(int code, const char *text, char *out, size_t size);

#endif
