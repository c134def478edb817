/*
 * queueid: unique, short, printable queue IDs.  14 characters of Crockford
 * base32 (0-9, A-Z less I, L, O, U): 6 for the time in seconds, 4 for the
 * microseconds, 4 random, so IDs sort roughly by arrival and two processes
 * in one microsecond still differ.  enqueue also makes the ID unique in
 * the queue with O_EXCL.
 *
 * Trust: see queueid.c.
 */
#ifndef FACTEUR_QUEUEID_H
#define FACTEUR_QUEUEID_H

#define QUEUEID_LEN	14

void	queueid_new(char id[QUEUEID_LEN + 1]);
int	queueid_valid(const char *);	/* 1 if exactly the form above */

#endif
