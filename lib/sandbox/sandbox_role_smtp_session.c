/*
 * sandbox_role_smtp_session: smtpd's session (smtpd/session.c), entered
 * after the chroot to smtpd_chroot, the drop to smtpd_user and the
 * client's reverse lookup, before the first byte is read from the
 * client.  The same role for every session: forked by smtpsession
 * (plaintext; STARTTLS hands the connection back), by the resident (smtps,
 * and the sessions it continues after STARTTLS) or by a per-connection
 * smtpd, which may build its TLS context at STARTTLS, inside the sandbox.
 *
 * What it does from then on: read commands and DATA from the client
 * (fds 0 and 1, or TLS over them), frames to and from its monitor over
 * the socket on fd 3 (receiving the two pipe ends of a message, handing
 * the client's descriptor back at STARTTLS: SCM_RIGHTS), write the
 * message into those pipes, log, and, closing on a client that broke a
 * limit, shut its sending side (lineio_linger).  It opens nothing,
 * connects nowhere, starts nothing: a subverted session can only talk
 * to its client and its monitor, which checks every request.
 */
#include "sandbox_int.h"

const struct sandbox_role_def sandbox_role_smtp_session = {
	"smtp-session",
	{ &sandbox_list_base, &sandbox_list_chan, &sandbox_list_tls,
	  &sandbox_list_linger, NULL }
};
