/*
 * sendmail: what the pieces of the sendmail front end share (sendmail.c,
 * sendmail_input.c, sendmail_header.c, sendmail_fields.c, sendmail_run.c).
 * Private to queue/sendmail*.
 */
#ifndef FACTEUR_SENDMAIL_H
#define FACTEUR_SENDMAIL_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "dsn.h"

#define SM_HEADER_MAX		(1024 * 1024)	/* octets of header section */
#define SM_HEADER_LINES		1000		/* lines of header section */
#define SM_FULLNAME_MAX		256		/* octets of -F fullname */
#define SM_IOBUF		65536
#define SM_HOSTNAME_MAX		255

/* stdin, read in pieces; a line longer than the caller's maximum is split. */
struct sm_input {
	int	 fd;
	char	 buf[SM_IOBUF];
	size_t	 pos, len;
	int	 eof;
};

void	input_init(struct sm_input *, int fd);
/*
 * Appends to line the next bytes of stdin through the next LF, at most
 * max bytes.  Returns 1 when bytes were appended, 0 at end of input, -1
 * on a read error (errno) or when line cannot grow (errno from buf).
 */
int	input_line(struct sm_input *, struct buf *line, size_t max);
/* 1 if line (len bytes, just read) is sendmail's "." end of input. */
int	input_is_dot(const struct sm_input *, const char *line, size_t len);

struct sm_field {
	size_t	 off;		/* in raw */
	size_t	 len;		/* all its lines, line endings included */
	size_t	 namelen;	/* without blanks before the colon */
};

/* The header section of the message, held whole (it is small). */
struct sm_header {
	struct buf	 raw;		/* header lines as read */
	struct sm_field	*field;
	size_t		 nfield;
	size_t		 nlines;
	int		 crlf;		/* the first line ended in CRLF */
	struct buf	 first;		/* the line after the header section */
	int		 ended;		/* input ended inside the header */
};

void	header_init(struct sm_header *);
void	header_free(struct sm_header *);
/*
 * Reads the header section: up to and including the empty line that ends
 * it, or the first line that is no header field (kept in first), or the
 * end of input.  A leading mbox "From " line is dropped.  With dot_rule,
 * a "." line ends the input.  Returns 0, or -1 with *why (too large, NUL
 * byte) and *code, a sysexits code.
 */
int	header_read(struct sm_header *, struct sm_input *, int dot_rule,
	    const char **why, int *code);
/* 1 if a field of that name is present (ASCII case-insensitive). */
int	header_has(const struct sm_header *, const char *name);
/*
 * Calls cb with each address of every To, Cc and Bcc field.  Returns 0,
 * a nonzero cb result, or -1 with *why and the field's name in bad.
 */
int	header_recipients(const struct sm_header *,
	    int (*cb)(void *, const struct mailpath *), void *arg,
	    const char **why, char *bad, size_t badsz);
/*
 * The header section to inject: the fields read, less Bcc, then the
 * `extra` fields (each "Name: value", without line ending), then the
 * separating empty line.  Line endings follow the message's first line.
 */
int	header_compose(const struct sm_header *, const char *const *extra,
	    size_t nextra, struct buf *out);

/* Header values made up for a message that lacks them. */
int	field_date(char *out, size_t n, time_t);
int	field_message_id(char *out, size_t n, const char *host, time_t);
/* "Name <addr>" or addr; the name quoted or RFC 2047-encoded as needed. */
int	field_from(struct buf *out, const char *fullname, const char *addr);
/* 1 if the -F fullname is acceptable (length, UTF-8, no control byte). */
int	field_fullname_ok(const char *);

/* Runs enqueue and feeds it; returns its exit status, or -1 (sysexits in *code). */
struct sm_run {
	const char	*program;	/* program_dir/enqueue */
	const char	*confpath;
	const struct buf *head;		/* composed header section */
	struct sm_input	*in;		/* the rest of the message */
	int		 dot_rule;
	const struct buf *env;		/* the qmail-queue envelope */
};

int	enqueue_run(const struct sm_run *, int *code, char *err, size_t errsz);

/* What a submission needs (sendmail.c fills it once). */
struct sm_ctx {
	const struct conf *conf;
	const char	*confpath;
	const char	*host;		/* myhostname */
	const char	*user_addr;	/* the caller's address */
	const char	*fullname;	/* -F, or NULL */
	int		 verbose;
	char		 program[4096];	/* program_dir/enqueue */
};

/*
 * The DSN requests of one submission (RFC 3461), as enqueue's envelope
 * extension carries them (lib/queue/qmail_env.h): -N, -R and -V, or
 * MAIL's RET and ENVID and each RCPT's NOTIFY and ORCPT with -bs.
 * Values are checked and decoded already.
 */
struct sm_dsn {
	int		 ret;		/* enum dsn_ret; 0: none */
	char		 envid[DSN_ENVID_MAX + 1];	/* "": none */
	int		 notify_all;	/* -N: every recipient's; 0: none */
	int		*notify;	/* -bs: per recipient, or NULL */
	char		**orcpt;	/* -bs: per recipient (NULL: none) */
};

/* Envelope recipients, collected. */
struct sm_rcpts {
	char		**v;
	size_t		  n;
	const char	 *host;
	const char	 *why;
};

/* sendmail.c */
/* Adds a recipient (a bare user gets @host); nonzero with r->why. */
int	sm_rcpt_add(void *r, const struct mailpath *);
/* The envelope form of a path (malloc'd); a bare user gets @host. */
char	*sm_path_text(const struct mailpath *, const char *host);
/*
 * One message read from in: the header section completed (Date,
 * Message-ID, From), Bcc dropped, recipients from the header with
 * extract, and enqueue run, with dsn's requests (NULL: none) after the
 * envelope.  EX_OK, or a sysexits(3) code with err.
 */
int	sm_submit(const struct sm_ctx *, const char *sender, struct sm_rcpts *,
	    const struct sm_dsn *, struct sm_input *, int dot_rule,
	    int extract, char *err, size_t errsz);

/* sendmail_smtp.c */
/* -bs: SMTP on stdin and stdout, one submission per transaction. */
int	sm_smtp(const struct sm_ctx *);

struct conf;
/* sendmail_queue.c: -bp (mailq) and -q, through queued */
int	sm_mailq(const struct conf *, const char *prog);
int	sm_flush(const struct conf *, const char *prog, const char *arg);

#endif
