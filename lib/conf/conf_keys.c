/*
 * conf_keys: every key of facteur.conf, its type, default and limits.
 * facteur.conf(5) documents the same list; keep the two in step.
 * Adding a key is adding a row (keep the rows sorted by subject).
 *
 * Trust: none: a table of constants.
 */
#include "conf.h"

#define TIME_MAX	(365LL * 86400)
#define SIZE_MAX_CONF	(4LL * 1024 * 1024 * 1024)

const struct conf_key conf_keys[] = {
	/* the host */
	{ "myhostname", CONF_STR, "", 0, 0,
	  "fully qualified name of this host; empty means gethostname(3)" },
	{ "local_domains", CONF_LIST, "$myhostname, localhost", 0, 0,
	  "domains delivered here; $myhostname stands for myhostname" },
	{ "program_dir", CONF_STR, FACTEUR_LIBEXEC_DEFAULT, 0, 0,
	  "directory of enqueue, queued, lspawn, deliver, smtpd, ..." },
	{ "log_debug", CONF_BOOL, "no", 0, 0,
	  "log debugging detail" },

	/* users and privileges */
	{ "queue_user", CONF_STR, "facteur-queue", 0, 0,
	  "owner of the queue; enqueue and queued run as it" },
	{ "first_valid_uid", CONF_INT, "1000", 1, 4294967294LL,
	  "lowest uid that mail is ever delivered as or served to" },
	{ "users_file", CONF_STR, "", 0, 0,
	  "passwd-file users table; empty for none" },
	{ "system_users", CONF_BOOL, "yes", 0, 0,
	  "also look local users up in the system accounts" },
	{ "virtual_user", CONF_STR, "", 0, 0,
	  "account that owns mail of users_file entries without a uid" },
	{ "aliases_file", CONF_STR, "", 0, 0,
	  "sendmail-format aliases table; empty for none" },
	{ "maildir", CONF_STR, "Maildir", 0, 0,
	  "Maildir of a user, relative to the home directory" },

	/* the queue */
	{ "queue_dir", CONF_STR, FACTEUR_QUEUE_DEFAULT, 0, 0,
	  "the queue directory" },
	{ "message_size_limit", CONF_SIZE, "50m", 1024, SIZE_MAX_CONF,
	  "largest message accepted, in octets" },
	{ "local_concurrency", CONF_INT, "10", 1, 1000,
	  "local deliveries at once" },
	{ "local_worker_max_jobs", CONF_INT, "100", 1, 1000000,
	  "deliveries one local delivery worker makes before it exits" },
	{ "local_worker_idle", CONF_TIME, "10s", 1, 3600,
	  "how long an idle local delivery worker waits for a job" },
	{ "local_delivery_timeout", CONF_TIME, "1h", 1, 86400,
	  "longest one local delivery may take before its worker is killed" },
	{ "queue_scan_interval", CONF_TIME, "60s", 1, TIME_MAX,
	  "how often queued rescans the queue without a trigger" },
	{ "queue_retry_min", CONF_TIME, "5m", 1, TIME_MAX,
	  "delay before the first retry of a temporary failure" },
	{ "queue_retry_max", CONF_TIME, "1h", 1, TIME_MAX,
	  "longest delay between two retries (delays double up to it)" },
	{ "queue_lifetime", CONF_TIME, "5d", 0, TIME_MAX,
	  "age after which a temporary failure becomes permanent" },

	/* the master (facteur) */
	{ "smtp_listen", CONF_LIST, "", 0, 0,
	  "addresses for SMTP (mx mode), e.g. \"*:25, [::]:25\"" },
	{ "submission_listen", CONF_LIST, "", 0, 0,
	  "addresses for submission (RFC 6409), e.g. \"*:587\"" },
	{ "smtps_listen", CONF_LIST, "", 0, 0,
	  "addresses for SMTP over implicit TLS, e.g. \"*:465\"" },
	{ "pop3_listen", CONF_LIST, "", 0, 0,
	  "addresses for POP3" },
	{ "pop3s_listen", CONF_LIST, "", 0, 0,
	  "addresses for POP3 over implicit TLS" },
	{ "imap_listen", CONF_LIST, "", 0, 0,
	  "addresses for IMAP" },
	{ "imaps_listen", CONF_LIST, "", 0, 0,
	  "addresses for IMAP over implicit TLS" },
	{ "max_sessions", CONF_INT, "100", 1, 10000,
	  "sessions at once per service" },
	{ "max_sessions_per_client", CONF_INT, "10", 1, 10000,
	  "sessions at once per service from one client address" },
	{ "overload_action", CONF_STR, "reply", 0, 0,
	  "over a limit: reply (the program says busy) or close" },
	{ "shutdown_grace", CONF_TIME, "10s", 0, 3600,
	  "how long sessions may finish after SIGTERM" },
	{ "restart_delay", CONF_TIME, "5s", 1, 3600,
	  "delay before a crashed queued or resident smtpd is started again" },

	/* smtpd */
	{ "smtpd_user", CONF_STR, "facteur-smtpd", 0, 0,
	  "account the smtpd session runs as" },
	{ "smtpd_chroot", CONF_STR, "/var/lib/facteur/empty", 0, 0,
	  "empty directory the smtpd session is chrooted to" },
	{ "smtpd_resident", CONF_BOOL, "yes", 0, 0,
	  "master: one long-lived smtpd per service forks per connection" },
	{ "smtpd_queue_writers", CONF_INT, "16", 0, 1000,
	  "resident smtpd: long-lived queue writers at most (0: a child each)" },
	{ "smtpd_recipient_limit", CONF_INT, "1000", 1, 100000,
	  "recipients in one SMTP transaction (more get 452 4.5.3)" },
	{ "smtpd_error_limit", CONF_INT, "10", 1, 1000,
	  "error replies in one SMTP session before 421 and close" },
	{ "smtpd_timeout", CONF_TIME, "5m", 1, 3600,
	  "wait for an SMTP command or to send a reply (RFC 5321 4.5.3.2)" },
	{ "smtpd_data_timeout", CONF_TIME, "10m", 1, 3600,
	  "wait for each block of DATA or BDAT content" },
	{ "smtpd_session_timeout", CONF_TIME, "1h", 1, 86400,
	  "longest SMTP session, whatever the client does" },
	{ "smtpd_bare_lf", CONF_STR, "reject", 0, 0,
	  "bare CR or LF from an SMTP client: reject (close) or normalize" },
	{ "smtpd_reject_early_talkers", CONF_BOOL, "no", 0, 0,
	  "close the connection of a client that talks before the greeting" },
	{ "smtpd_queue_filter", CONF_STR, "", 0, 0,
	  "qmail-queue filter smtpd runs per message; empty: queue directly" },
	{ "smtpd_reverse_lookup", CONF_BOOL, "no", 0, 0,
	  "look up the client's name for the Received header" },
	{ "dns_resolver", CONF_STR, "127.0.0.1", 0, 0,
	  "DNS resolver address (IP[:port]) for smtpd's reverse lookups" },
	{ "mynetworks", CONF_LIST, "", 0, 0,
	  "CIDR blocks (IPv4, IPv6) of clients smtpd relays for unauthenticated" },
	{ "smtpd_plaintext_auth", CONF_BOOL, "no", 0, 0,
	  "offer SMTP AUTH on a connection without TLS" },
	{ "sender_login_file", CONF_STR, "", 0, 0,
	  "map `address user[,user...]`: senders AUTH users may also use" },

	/* pop3d, imapd: the login process (lib/login_split) */
	{ "login_user", CONF_STR, "facteur-login", 0, 0,
	  "account the pop3d/imapd login process (TLS, pre-auth) runs as" },
	{ "login_chroot", CONF_STR, "/var/lib/facteur/empty", 0, 0,
	  "empty directory the login process is chrooted to" },

	/* pop3d */
	{ "pop3_timeout", CONF_TIME, "10m", 1, 86400,
	  "idle time before a POP3 session is closed (RFC 1939: 10m+)" },
	{ "pop3_error_limit", CONF_INT, "10", 1, 1000,
	  "error replies in one POP3 session before it is closed" },
	{ "pop3_plaintext_login", CONF_BOOL, "no", 0, 0,
	  "allow USER/PASS and AUTH on a POP3 connection without TLS" },
	{ "pop3_mark_seen", CONF_BOOL, "no", 0, 0,
	  "RETR adds the Maildir S (seen) flag to the message" },

	/* imapd */
	{ "imap_timeout", CONF_TIME, "30m", 60, 86400,
	  "idle time before an authenticated IMAP session is closed "
	  "(RFC 9051: 30m+)" },
	{ "imap_login_timeout", CONF_TIME, "1m", 1, 3600,
	  "longest time an IMAP connection may take to log in" },
	{ "imap_error_limit", CONF_INT, "20", 1, 1000,
	  "BAD replies in one IMAP session before it is closed" },
	{ "imap_plaintext_login", CONF_BOOL, "no", 0, 0,
	  "allow LOGIN and AUTHENTICATE on an IMAP connection without TLS" },
	{ "imap_line_max", CONF_SIZE, "64k", 1024, 16777216,
	  "longest IMAP command line, in octets" },
	{ "imap_literal_max", CONF_SIZE, "64k", 1024, 16777216,
	  "largest literal in an IMAP command other than APPEND" },
	{ "imap_append_limit", CONF_SIZE, "50m", 1024, SIZE_MAX_CONF,
	  "largest message APPEND takes (APPENDLIMIT)" },
	{ "imap_literal_plus", CONF_BOOL, "yes", 0, 0,
	  "LITERAL+ (yes) or LITERAL- (no: non-synchronizing literals up to "
	  "4096 octets)" },
	{ "imap_special_use_folders", CONF_BOOL, "yes", 0, 0,
	  "create Sent, Drafts, Trash, Junk and Archive at login when missing" },

	/* TLS (lib/tls): read by each program before it drops privileges */
	{ "tls_cert_file", CONF_STR, "", 0, 0,
	  "PEM certificate chain, leaf first; empty means no TLS" },
	{ "tls_key_file", CONF_STR, "", 0, 0,
	  "PEM private key of tls_cert_file (mode 0600, owner root)" },
	{ "tls_protocols", CONF_LIST, "TLSv1.2, TLSv1.3", 0, 0,
	  "TLS versions allowed: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (a range)" },
	{ "tls_ciphers", CONF_STR, "ECDHE+AESGCM:ECDHE+CHACHA20", 0, 0,
	  "OpenSSL cipher list for TLS 1.2 and below" },
	{ "tls_ciphersuites", CONF_STR,
	  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
	  "TLS_AES_128_GCM_SHA256", 0, 0,
	  "OpenSSL cipher suites for TLS 1.3" },
	{ "tls_ecdh_curves", CONF_STR, "X25519:P-256:P-384", 0, 0,
	  "key exchange groups, in order of preference" },
	{ "tls_dhparam_file", CONF_STR, "", 0, 0,
	  "PEM DH parameters for DHE ciphers; empty means OpenSSL's own" },
	{ "tls_session_tickets", CONF_BOOL, "yes", 0, 0,
	  "issue session tickets so that clients can resume sessions" },
	{ "tls_ticket_key_file", CONF_STR, "", 0, 0,
	  "ticket keys shared by all sessions, rotated by the master" },
	{ "tls_handshake_timeout", CONF_TIME, "30s", 1, 3600,
	  "longest TLS handshake" },
	{ "tls_ca_file", CONF_STR, "", 0, 0,
	  "PEM CA certificates to verify servers; empty means the system's" },

	/* authentication (lib/auth): smtpd submission, pop3d, imapd */
	{ "auth_allow_plain_hashes", CONF_BOOL, "no", 0, 0,
	  "accept {PLAIN} (clear-text) passwords in users_file" },
	{ "auth_pam_service", CONF_STR, "facteur", 0, 0,
	  "PAM service that checks system accounts' passwords" },
	{ "auth_fail_limit", CONF_INT, "5", 1, 1000,
	  "failed logins in one connection before it is closed" },
	{ "auth_fail_delay_max", CONF_TIME, "8s", 0, 3600,
	  "longest delay before answering a failed login" },
	{ "auth_fail_window", CONF_TIME, "10m", 1, 86400,
	  "time after which a client address's failures are forgotten" },
	{ "auth_state_dir", CONF_STR, "/var/lib/facteur/auth", 0, 0,
	  "directory of per-client-address failure records; empty for none" },

	/* sandboxes (lib/sandbox): the processes that handle untrusted bytes */
	{ "sandbox", CONF_STR, "enforce", 0, 0,
	  "their system call filters: enforce, report (name the forbidden "
	  "call, then die) or off" },

	{ NULL, CONF_STR, NULL, 0, 0, NULL }
};
