/*
 * imap_read: reads one IMAP command from the client: its first line, and
 * for each literal announced at a line's end the literal's bytes and the
 * line after it, until a line ends without one (RFC 9051 4.3, 7.5).
 * Shared by imapd's login process and imapsession.
 *
 * Limits, each refused rather than cut: a line is at most line_max
 * octets; a literal at most literal_max (append_max for APPEND's);
 * IMAP_LITERALS_MAX literals per command; the command's bytes in memory
 * at most cmd_max.  A synchronizing literal over a limit is refused
 * before the client sends it (no "+" is sent: the tagged NO [TOOBIG] for
 * APPEND, BAD [TOOBIG] otherwise, ends the command); a non-synchronizing
 * one cannot be refused without reading it, so the connection is closed
 * with BYE.  With LITERAL- (RFC 7888) a non-synchronizing literal is at
 * most 4096 octets.  A line over line_max also closes the connection: the
 * client may be sending a literal we cannot tell from commands.
 *
 * Time: each command, from the wait for its first byte to its last
 * literal, must come within cmd_timeout_ms, and none is read after
 * deadline; each wait of lineio is cut to what is left, so a client
 * that sends a byte now and then cannot hold a command open.
 *
 * An APPEND literal larger than IMAP_INLINE_MAX goes to a descriptor the
 * spool callback gives (a temporary file), not to memory.
 */
#ifndef FACTEUR_IMAP_READ_H
#define FACTEUR_IMAP_READ_H
#include <stddef.h>

#include "buf.h"
#include "imap_parse.h"
#include "lineio.h"

#define IMAP_INLINE_MAX		(64 * 1024)	/* APPEND literals in memory */
#define IMAP_LITERAL_MINUS_MAX	4096		/* RFC 7888 LITERAL- */

enum imap_read_status {
	IMAP_READ_OK,		/* text and lits hold the command */
	IMAP_READ_EOF,		/* the client closed between commands */
	IMAP_READ_GONE,		/* EOF or an error inside a command */
	IMAP_READ_TIMEOUT,	/* the client was silent too long */
	IMAP_READ_BAD,		/* reply "tag BAD [code] err"; go on */
	IMAP_READ_NO,		/* reply "tag NO [code] err"; go on */
	IMAP_READ_FATAL		/* reply "* BYE [code] err" and close */
};

struct imap_reader {
	struct lineio	*io;
	size_t		 line_max;
	size_t		 literal_max;
	size_t		 append_max;
	size_t		 cmd_max;
	int		 literal_minus;	/* advertise and enforce LITERAL- */
	/* A descriptor for an APPEND literal, or -1 (then NO). */
	int		(*spool)(void *arg);
	void		*spool_arg;
	int		 cmd_timeout_ms; /* longest wait for and reading of one
					   command, literals included */
	long long	 deadline;	/* fd_now_ms after which no command is
					   read any more (0: none) */

	/* Results of imap_read_command. */
	struct buf	 text;
	struct imap_lit	 lits[IMAP_LITERALS_MAX];
	size_t		 nlits;
	char		 tag[IMAP_TAG_MAX + 1];	/* "" when unreadable */
	const char	*code;		/* response code, or NULL */
	const char	*err;		/* reason for BAD, NO or BYE */

	struct buf	 line;
};

/* Set the limits and io first; 0, or -1 when out of memory. */
int	imap_read_init(struct imap_reader *);
void	imap_read_free(struct imap_reader *);
/* Reads the next command; the previous one's spooled literals are closed. */
enum imap_read_status imap_read_command(struct imap_reader *);
/* Wipes what the last command held (LOGIN's password). */
void	imap_read_wipe(struct imap_reader *);

#endif
