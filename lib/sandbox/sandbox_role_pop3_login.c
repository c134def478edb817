/*
 * sandbox_role_pop3_login: pop3d's login process (pop3d_login.c),
 * entered in pop3_login_main, after lib/login_split has chrooted it to
 * login_chroot and dropped it to login_user, before the TLS handshake
 * (POP3S) or the greeting.
 *
 * What it does from then on: TLS (it builds the OpenSSL context from the
 * certificate and key bytes it was given, at STLS or for POP3S), the
 * AUTHORIZATION commands, one credentials frame to the monitor and its
 * answer with the session's socket (SCM_RIGHTS), then relaying bytes;
 * closing on a client that may still be sending, it shuts its sending
 * side (lineio_linger).  It opens nothing, connects nowhere, starts
 * nothing.
 */
#include "sandbox_int.h"

const struct sandbox_role_def sandbox_role_pop3_login = {
	"pop3-login",
	{ &sandbox_list_base, &sandbox_list_chan, &sandbox_list_tls,
	  &sandbox_list_linger, NULL }
};
