# Fuzz targets of program code: what each tests/fuzz/fuzz_<name>.c links
# besides lib/ (libfacteur.a).  A target of lib/ alone needs no line here.
#   FUZZ_PROGS_fuzz_<name> = programs: each program's own source list
#       (SRCS_<program> in its folder's sources.mk), less the file with
#       main, as an archive (mk/prog_archive.sh), so a target follows the
#       program as files move in it;
#   FUZZ_SRCS_fuzz_<name>  = files (code that is no program's yet).

FUZZ_PROGS_fuzz_deliver_wire  = lspawn
FUZZ_PROGS_fuzz_pop3_cmd      = pop3d

# imapd's MIME side (IMAP_MIME_SRCS, imapd/sources.mk).
FUZZ_SRCS_fuzz_imap_envelope  = $(IMAP_MIME_SRCS)
FUZZ_SRCS_fuzz_imap_section   = $(IMAP_MIME_SRCS)
FUZZ_SRCS_fuzz_mime           = $(IMAP_MIME_SRCS)

# imapsession's command reader and grammar, sequence sets and names, state
# files, and the whole session (imapd/sources.mk).
FUZZ_PROGS_fuzz_imap_command  = imapsession
FUZZ_PROGS_fuzz_imap_names    = imapsession
FUZZ_PROGS_fuzz_imap_store    = imapsession
FUZZ_PROGS_fuzz_imap_session  = imapsession

# The channels into a more privileged process (docs/security-fuzz.md).
FUZZ_PROGS_fuzz_smtpd_monitor = smtpd
FUZZ_PROGS_fuzz_resident_master = smtpd facteur
FUZZ_PROGS_fuzz_smtpsession_answer = smtpd
FUZZ_PROGS_fuzz_qwriter_answer = smtpd
FUZZ_PROGS_fuzz_auth_verdict  = smtpd
FUZZ_PROGS_fuzz_lspawn_job    = lspawn
FUZZ_PROGS_fuzz_lspawn_result = lspawn
FUZZ_PROGS_fuzz_lspawn_output = lspawn
FUZZ_PROGS_fuzz_keeper        = queued

# Remote delivery: rspawn's DNS decoder (remote/dns_wire.c).
FUZZ_PROGS_fuzz_dns_wire      = rspawn
