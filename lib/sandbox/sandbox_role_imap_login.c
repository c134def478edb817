/*
 * sandbox_role_imap_login: imapd's login process (being written; its
 * developer calls sandbox_enter(SANDBOX_IMAP_LOGIN) at the start of its
 * login main, as pop3d_login.c does, and adjusts this list).  The same
 * shape as pop3d's: lib/login_split has chrooted it and dropped it to
 * login_user; it does TLS, the pre-authentication commands, one
 * credentials frame to the monitor, then relays bytes.
 */
#include "sandbox_int.h"

const struct sandbox_role_def sandbox_role_imap_login = {
	"imap-login",
	{ &sandbox_list_base, &sandbox_list_chan, &sandbox_list_tls,
	  &sandbox_list_linger, NULL }
};
