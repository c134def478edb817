/*
 * deliver: local delivery of one message to one recipient's Maildir, as a
 * program of its own, for manual use (and, later, .forward and pipe
 * deliveries).  lspawn does not exec it: lspawn's delivery workers,
 * already running as the recipient, call the same lib/maildir/deliver_maildir.c
 * in-process.
 *
 * It runs as the user who starts it and never as root, with:
 *   fd 0     the message,
 *   fd 1     the result line (one printable line, at most 500 octets),
 *   argv     deliver -f SENDER -r RECIPIENT -i QUEUEID -m MAILDIR
 *
 * It refuses the message when a Delivered-To: field of its header section
 * already names RECIPIENT (a mail loop), creates the Maildir when it is
 * missing (0700), and writes "Return-Path: <SENDER>" and "Delivered-To:
 * RECIPIENT" followed by the message byte for byte (tmp/, fsync, link
 * into new/, fsync of new/).  Line endings are kept as stored.
 *
 * Exit status (qmail-local's): 0 delivered, 100 permanent failure,
 * 111 temporary failure.  It checks its argv again (no control bytes, an
 * absolute Maildir path, a valid queue ID); it does not trust the message.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_maildir.h"

static void __attribute__((noreturn))
finish(int code, const char *text)
{
	if (deliver_report(STDOUT_FILENO, text) == -1) {
		/* the reader is gone; the exit status still tells the outcome */
	}
	exit(code);
}

static void
args_parse(int argc, char *argv[], struct delivery *d)
{
	int	ch;

	memset(d, 0, sizeof(*d));
	/* '+': no argument permutation; a value after -f is never an option. */
	while ((ch = getopt(argc, argv, "+f:r:i:m:")) != -1) {
		switch (ch) {
		case 'f':
			d->sender = optarg;
			break;
		case 'r':
			d->rcpt = optarg;
			break;
		case 'i':
			d->id = optarg;
			break;
		case 'm':
			d->maildir = optarg;
			break;
		default:
			finish(DELIVER_TEMP, "usage: deliver -f sender "
			    "-r recipient -i queueid -m maildir");
		}
	}
	if (optind != argc || d->sender == NULL || d->rcpt == NULL ||
	    d->id == NULL || d->maildir == NULL)
		finish(DELIVER_TEMP, "usage: deliver -f sender -r recipient "
		    "-i queueid -m maildir");
}

int
main(int argc, char *argv[])
{
	struct delivery	 d;
	char		 text[DELIVER_TEXT_MAX + 1];
	int		 code;

	umask(077);
	args_parse(argc, argv, &d);
	code = deliver_maildir(&d, STDIN_FILENO, text, sizeof(text));
	finish(code, text);
}
