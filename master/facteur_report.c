/*
 * facteur_report: the frames a resident server sends the master
 * (facteur_resident.c reads them), checked here:
 *
 *   [S, seq, pid]   the connection seq is served by process pid
 *   [E, seq]        the process serving seq ended
 *
 * seq is the master's number for a connection it handed over (1 to
 * 2^63-1), pid a process id above 1, both decimal as the resident writes
 * them (chan_field_num).  A resident that sends anything else is retired.
 * The fuzz target fuzz_resident_master drives this with what a resident
 * could send.
 *
 * Trust: nothing of the frame (the resident is root too, but a frame it
 * got wrong must not skew the master's counts or crash it).
 */
#include <stdint.h>
#include <string.h>

#include "chan.h"
#include "facteur.h"

int
resident_report_parse(const struct chan_msg *m, char *kind, long long *seq,
    pid_t *pid)
{
	long long	 p = 0;

	if (m->nfds != 0 || strlen(m->f[0]) != 1)
		return -1;
	*kind = m->f[0][0];
	if (!((*kind == 'S' && m->nf == 3) || (*kind == 'E' && m->nf == 2)) ||
	    chan_field_num(m->f[1], 1, INT64_MAX, seq) == -1 ||
	    (*kind == 'S' && chan_field_num(m->f[2], 2, INT32_MAX, &p) == -1))
		return -1;
	*pid = (pid_t)p;
	return 0;
}
