# Unit tests of program code: the program files each test links besides
# lib/ (libfacteur.a).  A test of lib/ alone needs no line here.

TEST_SRCS_test_sendmail_header = $(addprefix queue/,sendmail_input.c \
                                 sendmail_header.c sendmail_fields.c)
TEST_SRCS_test_deliver_wire    = deliver/deliver_wire.c
TEST_SRCS_test_pop3_cmd        = pop3d/pop3_cmd.c
TEST_SRCS_test_dns_wire        = remote/dns_wire.c
TEST_SRCS_test_smtp_wire       = remote/smtp_wire.c remote/dns_wire.c
TEST_SRCS_test_session_received = smtpd/session_received.c
TEST_SRCS_test_local           = deliver/deliver_wire.c $(addprefix deliver/,\
                                 local.c local_command.c local_forward.c \
                                 local_mbox.c local_resubmit.c)

# A filesystem that refuses renameat2(RENAME_NOREPLACE), as some FUSE
# filesystems do: the test supplies __wrap_renameat2.
TEST_LDFLAGS_test_queue_spare_norename = -Wl,--wrap=renameat2

# imapd's MIME side (IMAP_MIME_SRCS, imapd/sources.mk).
TEST_SRCS_test_imap_bodystructure = $(IMAP_MIME_SRCS)
TEST_SRCS_test_imap_envelope      = $(IMAP_MIME_SRCS)
TEST_SRCS_test_imap_section       = $(IMAP_MIME_SRCS)

# imapd's command grammar, names and store.
TEST_SRCS_test_imap_parse = $(addprefix imapd/,imap_parse.c imap_read.c)
TEST_SRCS_test_imap_names = $(addprefix imapd/,imap_seq.c imap_utf7.c \
                            imap_parse.c mailbox_name.c)
TEST_SRCS_test_imap_store = $(addprefix imapd/,store_folder.c store_sync.c \
                            store_scan.c \
                            store_uidlist.c store_keywords.c store_cache.c \
                            store_flags.c imap_parse.c)

# The checks of the channels into a more privileged process (their fuzz
# targets are in tests/fuzz/sources.mk): TEST_PROGS_ links the program's
# files but the one with main (Makefile), whatever the check needs.
TEST_PROGS_test_monitor_check  = smtpd
TEST_PROGS_test_resident_wire  = smtpd facteur
TEST_PROGS_test_lspawn_job     = lspawn
TEST_PROGS_test_lspawn_out     = lspawn
TEST_PROGS_test_queued_keeper  = queued
