#!/usr/bin/python3
"""Writes the seed corpora of the channel fuzz targets (docs/security-fuzz.md)
into tests/fuzz/corpus/<target>/: a few inputs per frame each channel takes
and per way it can be wrong, in the input format each target's header
comment gives.  Run it again after a channel changes:

    /usr/bin/python3 tests/fuzz/channel_seeds.py [target ...]

Files it did not write are left alone; the ones it writes are named
after what they hold."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(*fields):
    """A frame as chan_send writes it: a netstring of the fields joined
    by NUL, with one more NUL when the last field is empty."""
    fs = [f.encode() if isinstance(f, str) else f for f in fields]
    payload = b"\0".join(fs)
    if fs and fs[-1] == b"":
        payload += b"\0"
    return str(len(payload)).encode() + b":" + payload + b","


def raw(payload):
    return str(len(payload)).encode() + b":" + payload + b","


# Descriptor bytes of fuzz_chan.h's fz_fds_from: how many (low nibble).
NOFD, ONEFD, TWOFD, THREEFD, TENFD = 0x00, 0x06, 0x0a, 0x0d, 0x0f
# Kinds byte: the first descriptor's kind in the low nibble, the
# second's in the high one (0 AF_UNIX, 1 AF_INET, 2 a pipe's read end,
# 3 /dev/null, 4 a pipe's write end, 5 the target's client connection,
# 6 a sealed memfd, 7 a memfd without seals, 8 a regular file read-only,
# 9 a sealed memfd of another user's).
UNIX, INET, PIPE, FILE, PIPE_W, CONN = 0, 1, 2, 3, 4, 5
MEMFD, MEMFD_OPEN, FILE_RO, MEMFD_OTHER = 6, 7, 8, 9


def kinds(a, b=UNIX):
    return bytes([a | (b << 4)])


SEEDS = {}


def seed(target, name, data):
    SEEDS.setdefault(target, {})[name] = data


def chan_seeds():
    t = "chan"
    good = frame("RCPT", "alice", "example.org")
    for lim, mbits in (("256", 0), ("2048", 2), ("8192", 4)):
        seed(t, "packet_%s_rcpt" % lim, bytes([mbits, NOFD, 0, 0]) + good)
        seed(t, "stream_%s_two" % lim, bytes([mbits | 1, 0, 0]) + good +
             frame("J", "0", "id", "", "bob", "bob", ""))
    seed(t, "packet_fd", bytes([0, ONEFD, 0, 0]) + frame("C", "1", "0"))
    seed(t, "packet_two_fds", bytes([0, TWOFD, kinds(PIPE, UNIX)[0], 0]) +
         frame("S"))
    seed(t, "packet_three_fds", bytes([0, THREEFD, 0, 0]) + frame("S"))
    seed(t, "packet_ten_fds", bytes([0, TENFD, 0, 0]) + frame("S"))
    seed(t, "packet_passcred", bytes([8, NOFD, 0, 0]) + frame("S"))
    seed(t, "packet_nowait", bytes([16, NOFD, 0, 0]) + frame("OK"))
    seed(t, "packet_empty", bytes([0, NOFD, 0, 0]))
    seed(t, "packet_empty_fd", bytes([0, ONEFD, 0, 0]))
    seed(t, "packet_small_limit", bytes([6, NOFD, 0, 9]) + frame("AB", "CDEFG"))
    seed(t, "packet_over_limit", bytes([6, NOFD, 0, 3]) + frame("AB", "CDEFG"))
    seed(t, "packet_nine_fields", bytes([0, NOFD, 0, 0]) +
         frame(*"abcdefghi"))
    seed(t, "packet_final_nul", bytes([0, NOFD, 0, 0]) + raw(b"a\0"))
    seed(t, "packet_empty_fields", bytes([0, NOFD, 0, 0]) + raw(b"\0\0\0"))
    seed(t, "packet_zero", bytes([0, NOFD, 0, 0]) + b"0:,")
    seed(t, "packet_leading_zero", bytes([0, NOFD, 0, 0]) + b"05:hello,")
    seed(t, "packet_no_comma", bytes([0, NOFD, 0, 0]) + b"5:hello;")
    seed(t, "packet_trailing", bytes([0, NOFD, 0, 0]) + b"5:hello,5:hello,")
    seed(t, "packet_long_digits", bytes([0, NOFD, 0, 0]) + b"00000000001:a,")
    seed(t, "stream_chunks_1", bytes([1, 1, 0]) + good + good)
    seed(t, "stream_chunks_7", bytes([1, 7, 0]) + good * 3)
    seed(t, "stream_cut", bytes([1, 0, 0]) + good + good[:-3])
    seed(t, "stream_bad_second", bytes([1, 0, 0]) + good + b"x:")
    seed(t, "stream_zero_frame", bytes([1, 0, 0]) + good + b"0:,")
    seed(t, "stream_over_limit", bytes([7, 0, 4]) + frame("abcdef"))


QID = "0RJ4V1K3A5B7C9"


def smtpd_monitor_seeds():
    t = "smtpd_monitor"
    # first state byte
    MX, SUB, SMTPS, AUTHED, RES, QUEUE, HANDOFF, AUTHP, OWED = (
        0, 1, 2, 4, 8, 16, 32, 64, 128)
    # second state byte
    TX, UTF8, ONE, LIMIT_1, LIMIT, FAILS, ENVW = 1, 2, 4, 8, 12, 16, 32

    def mail(path, mode, ret="", envid=""):
        return frame("MAIL", path, mode, ret, envid)

    def rcpt(path, notify="", orcpt=""):
        return frame("RCPT", path, notify, orcpt)

    def s(name, state, state2, fr, fdb=NOFD, k=UNIX):
        seed(t, name, bytes([state, state2, fdb, kinds(k)[0]]) + fr)

    s("mail", MX, 0, mail("<bob@example.net>", "ASCII"))
    s("mail_null", MX, 0, mail("<>", "ASCII"))
    s("mail_utf8", MX, 0, mail("<j\xc3\xb6rg@example.net>", "UTF8"))
    s("mail_utf8_as_ascii", MX, 0, mail("<j\xc3\xb6rg@example.net>", "ASCII"))
    s("mail_bad_flag", MX, 0, mail("<bob@example.net>", "utf8"))
    s("mail_no_brackets", MX, 0, mail("bob@example.net", "ASCII"))
    s("mail_trailing", MX, 0, mail("<bob@example.net> x", "ASCII"))
    s("mail_submission", SUB, 0, mail("<bob@example.net>", "ASCII"))
    s("mail_submission_authed", SUB | AUTHED, 0,
      mail("<alice@example.org>", "ASCII"))
    s("mail_queueing", MX | QUEUE, TX | ONE,
      mail("<bob@example.net>", "ASCII"))
    s("rcpt", MX, TX, rcpt("<alice@example.org>"))
    s("rcpt_postmaster", MX, TX, rcpt("<postmaster>"))
    s("rcpt_null", MX, TX, rcpt("<>"))
    s("rcpt_before_mail", MX, 0, rcpt("<alice@example.org>"))
    s("rcpt_at_limit", MX, TX | LIMIT, rcpt("<alice@example.org>"))
    s("rcpt_below_limit", MX, TX | LIMIT_1,
      rcpt("<alice@example.org>"))
    s("rcpt_utf8", MX, TX | UTF8, rcpt("<j\xc3\xb6rg@example.org>"))
    s("rcpt_control", MX, TX, rcpt("<al\x01ice@example.org>"))
    s("rcpt_route", MX, TX, rcpt("<@relay:alice@example.org>"))
    # RFC 3461's parameters, as sent or "" (lib/dsn parses them)
    s("mail_dsn", MX, 0, mail("<>", "ASCII", "HDRS", "QQ+2B31"))
    s("mail_ret_bad", MX, 0, mail("<>", "ASCII", "ALL"))
    s("mail_envid_bad", MX, 0, mail("<>", "ASCII", "", "a+0Db"))
    s("mail_envid_100", MX, 0, mail("<>", "ASCII", "", "e" * 100))
    s("mail_envid_101", MX, 0, mail("<>", "ASCII", "", "e" * 101))
    s("mail_old_form", MX, 0, frame("MAIL", "<>", "ASCII"))
    s("rcpt_dsn", MX, TX, rcpt("<a@b.example>", "SUCCESS,DELAY",
                                "rfc822;a+2Bx@b.example"))
    s("rcpt_notify_bad", MX, TX, rcpt("<a@b.example>", "NEVER,SUCCESS"))
    s("rcpt_orcpt_bad", MX, TX, rcpt("<a@b.example>", "", "rfc822;a+0A"))
    s("rcpt_orcpt_500", MX, TX, rcpt("<a@b.example>", "",
                                      "rfc822;" + "o" * 493))
    s("rcpt_orcpt_501", MX, TX, rcpt("<a@b.example>", "",
                                      "rfc822;" + "o" * 494))
    s("rcpt_old_form", MX, TX, frame("RCPT", "<a@b.example>"))
    s("rcpt_too_many_fields", MX, TX,
      frame("RCPT", "<alice@example.org>", "", "", "x"))
    s("rcpt_with_fd", MX, TX, rcpt("<alice@example.org>"), ONEFD)
    s("rcpt_submission_no_auth", SUB, TX, rcpt("<bob@example.net>"))
    s("rcpt_resident_pending", RES | AUTHP, TX,
      rcpt("<alice@example.org>"))
    s("msgstart", MX, TX | ONE, frame("MSGSTART", QID))
    s("msgstart_no_rcpt", MX, TX, frame("MSGSTART", QID))
    s("msgstart_no_mail", MX, 0, frame("MSGSTART", QID))
    s("msgstart_bad_id", MX, TX | ONE, frame("MSGSTART", "0RJ4V1K3A5B7CI"))
    s("msgstart_queueing", MX | QUEUE, TX | ONE, frame("MSGSTART", QID))
    s("msgstart_envelope_open", MX, TX | ONE | ENVW, frame("MSGSTART", QID))
    s("msgstart_submission", SUB, TX | ONE, frame("MSGSTART", QID))
    s("msgend", MX | QUEUE, TX | ONE, frame("MSGEND"))
    s("msgabort", MX, TX | ONE | ENVW, frame("MSGABORT"))
    s("msgend_idle", MX, TX | ONE, frame("MSGEND"))
    s("msgend_resident_owed", RES | QUEUE | OWED, TX | ONE, frame("MSGEND"))
    s("msgend_resident", RES | QUEUE, TX | ONE, frame("MSGEND"))
    s("auth", SUB, 0, frame("AUTH", "alice", "secret"))
    s("auth_again", SUB | AUTHED, 0, frame("AUTH", "alice", "secret"))
    s("auth_after_close", SUB, FAILS, frame("AUTH", "alice", "secret"))
    s("auth_resident", RES | SMTPS, 0, frame("AUTH", "alice", "secret"))
    s("auth_long_user", SUB, 0, frame("AUTH", "u" * 256, "secret"))
    s("starttls", RES | HANDOFF, 0, frame("STARTTLS", "0", "Hmail.example"),
      ONEFD, CONN)
    s("starttls_other_socket", RES | HANDOFF, 0,
      frame("STARTTLS", "0", "Hmail.example"), ONEFD, UNIX)
    s("starttls_inet", RES | HANDOFF, 0, frame("STARTTLS", "3", "H"),
      ONEFD, INET)
    s("starttls_pipe", RES | HANDOFF, 0, frame("STARTTLS", "0", "Hx"),
      ONEFD, PIPE)
    s("starttls_no_fd", RES | HANDOFF, 0, frame("STARTTLS", "0", "Hx"))
    s("starttls_two_fds", RES | HANDOFF, 0, frame("STARTTLS", "0", "Hx"),
      TWOFD, CONN)
    s("starttls_errors_over", RES | HANDOFF, 0,
      frame("STARTTLS", "11", "Hx"), ONEFD, CONN)
    s("starttls_errors_zero", RES | HANDOFF, 0,
      frame("STARTTLS", "07", "Hx"), ONEFD, CONN)
    s("starttls_no_h", RES | HANDOFF, 0, frame("STARTTLS", "0", "mail"),
      ONEFD, CONN)
    s("starttls_not_handoff", RES, 0, frame("STARTTLS", "0", "Hx"),
      ONEFD, CONN)
    s("starttls_per_connection", MX, 0, frame("STARTTLS", "0", "Hx"),
      ONEFD, CONN)
    s("starttls_authed", RES | HANDOFF | AUTHED, 0,
      frame("STARTTLS", "0", "Hx"), ONEFD, CONN)
    s("unknown", MX, 0, frame("HELO", "x"))
    s("sender_gone", SUB | AUTHED, TX, frame("SENDER", "alice",
                                             "example.org"))
    s("not_a_frame", MX, 0, b"RCPT <alice@example.org>\r\n")
    s("empty", MX, 0, b"")


def resident_master_seeds():
    t = "resident_master"

    def s(name, direction, fr, fdb=NOFD, k=UNIX):
        seed(t, name, bytes([direction, fdb, kinds(k)[0]]) + fr)

    s("conn", 0, frame("C", "1", "0"), ONEFD, INET)
    s("conn_over", 0, frame("C", "9223372036854775807", "1"), ONEFD)
    s("conn_seq_zero", 0, frame("C", "0", "0"), ONEFD)
    s("conn_seq_over", 0, frame("C", "9223372036854775808", "0"), ONEFD)
    s("conn_seq_sign", 0, frame("C", "+1", "0"), ONEFD)
    s("conn_over_2", 0, frame("C", "1", "2"), ONEFD)
    s("conn_no_fd", 0, frame("C", "1", "0"))
    s("conn_two_fds", 0, frame("C", "1", "0"), TWOFD)
    s("started", 1, frame("S", "1", "4242"))
    s("started_pid_1", 1, frame("S", "1", "1"))
    s("started_pid_big", 1, frame("S", "1", "2147483648"))
    s("ended", 1, frame("E", "12"))
    s("ended_pid", 1, frame("E", "12", "4242"))
    s("ended_fd", 1, frame("E", "12"), ONEFD)
    s("report_leading_zero", 1, frame("S", "012", "4242"))
    s("report_unknown", 1, frame("X", "1"))


def resident_peers_seeds():
    t = "smtpsession_answer"

    def s(name, which, fr, fdb=NOFD, k=UNIX):
        seed(t, name, bytes([which, fdb, kinds(k)[0]]) + fr)

    s("ready", 0, frame("R"))
    s("ready_fd", 0, frame("R"), ONEFD)
    s("ready_extra", 0, frame("R", "x"))
    s("pid", 1, frame("P", "4242"), ONEFD)
    s("pid_no_fd", 1, frame("P", "4242"))
    s("pid_zero", 1, frame("P", "0"), ONEFD)
    s("pid_big", 1, frame("P", "2147483648"), ONEFD)
    s("pid_space", 1, frame("P", " 42"), ONEFD)
    s("failed", 1, frame("F"))
    s("failed_fd", 1, frame("F"), ONEFD)
    s("ready_as_answer", 1, frame("R"))

    t = "qwriter_answer"
    for name, fr, fdb in (("done_0", frame("DONE", "0"), NOFD),
                          ("done_111", frame("DONE", "111"), NOFD),
                          ("done_255", frame("DONE", "255"), NOFD),
                          ("done_256", frame("DONE", "256"), NOFD),
                          ("done_minus", frame("DONE", "-1"), NOFD),
                          ("done_zero_pad", frame("DONE", "00"), NOFD),
                          ("done_fd", frame("DONE", "0"), ONEFD),
                          ("done_extra", frame("DONE", "0", "x"), NOFD),
                          ("job", frame("JOB", QID), TWOFD),
                          ("empty", b"", NOFD)):
        seed(t, name, bytes([fdb, 0]) + fr)

    t = "auth_verdict"
    for name, fr, fdb in (("ok", frame("O", "alice"), NOFD),
                          ("ok_empty_user", frame("O", ""), NOFD),
                          ("ok_control", frame("O", "ali\nce"), NOFD),
                          ("ok_long", frame("O", "u" * 65), NOFD),
                          ("ok_no_user", frame("O"), NOFD),
                          ("ok_fd", frame("O", "alice"), ONEFD),
                          ("bad", frame("B"), NOFD),
                          ("bad_extra", frame("B", "x"), NOFD),
                          ("temp", frame("T"), NOFD),
                          ("other", frame("OK"), NOFD),
                          ("empty", b"", NOFD),
                          ("raw", b"O alice", NOFD)):
        seed(t, name, bytes([fdb, 0]) + fr)


def login_monitor_seeds():
    t = "login_monitor"

    def s(name, state, fr, fdb=NOFD, k=UNIX):
        seed(t, name, bytes([state, fdb, kinds(k)[0]]) + fr)

    s("credentials", 0, frame("A", "alice", "secret"))
    s("credentials_empty", 0, frame("A", "", ""))
    s("credentials_after_session", 1, frame("A", "alice", "secret"))
    s("credentials_after_close", 2, frame("A", "alice", "secret"))
    s("credentials_fd", 0, frame("A", "alice", "secret"), ONEFD, PIPE)
    s("credentials_two_fields", 0, frame("A", "alice"))
    s("credentials_four_fields", 0, frame("A", "alice", "secret", "x"))
    s("long_password", 0, frame("A", "alice", "p" * 2030))
    s("too_long", 0, frame("A", "alice", "p" * 2050))
    s("not_a", 0, frame("K"))
    s("eof", 0, b"")
    s("eof_fd", 0, b"", ONEFD)
    s("raw_user", 0, b"USER alice\r\n")


def job(slot, qid=QID, sender="bob@example.net", rcpt="alice@example.org",
        user="alice", ext="", check="0"):
    return frame("J", slot, qid, sender, rcpt, user, ext, check)


def lspawn_job_seeds():
    t = "lspawn_job"

    def s(name, chunk, stream):
        seed(t, name, bytes([chunk]) + stream)

    s("one", 0, job("0"))
    s("check_1", 0, job("0", check="1"))
    s("check_2", 0, job("0", check="2"))
    s("check_empty", 0, job("0", check=""))
    s("three", 0, job("0") + job("1", sender="") + job("999999", ext="box"))
    s("chunks_1", 1, job("0") + job("1"))
    s("chunks_13", 13, job("7") + job("8") + job("9"))
    s("slot_reused", 0, job("3") + job("3"))
    s("slot_leading_zero", 0, job("03"))
    s("slot_seven_digits", 0, job("1000000"))
    s("slot_sign", 0, job("+1"))
    s("slot_empty", 0, job(""))
    s("six_fields", 0, frame("J", "0", QID, "", "alice@example.org", "alice"))
    # the job of before exactly-once delivery, without its check field
    s("seven_fields", 0, frame("J", "0", QID, "", "alice@example.org",
                               "alice", ""))
    s("not_a_job", 0, frame("R", "0", "K", "ok"))
    s("bad_id", 0, job("0", qid="../../etc/shadow"))
    s("control_sender", 0, job("0", sender="bob\r\nX: y"))
    s("control_user", 0, job("0", user="al\x00ice"))
    s("control_ext", 0, job("0", ext="\x7f"))
    s("empty_rcpt", 0, job("0", rcpt=""))
    s("long_rcpt", 0, job("0", rcpt="a" * 1001))
    s("cut", 0, job("0") + job("1")[:-5])
    s("garbage_after", 0, job("0") + b"J 1 id\n")
    s("over_limit", 0, b"8193:" + b"x" * 20)


def lspawn_result_seeds():
    t = "lspawn_result"

    def s(name, busy, fr, fdb=NOFD, k=UNIX):
        seed(t, name, bytes([busy, fdb, kinds(k)[0]]) + fr)

    s("delivered", 1, frame("R", "K", "delivered to Maildir/new/x"))
    s("deferred", 1, frame("R", "Z", "4.2.2 over quota"))
    s("bounced", 1, frame("R", "D", "5.1.1 no such mailbox"))
    s("idle", 0, frame("R", "K", "ok"))
    s("status_two", 1, frame("R", "KZ", "ok"))
    s("status_other", 1, frame("R", "X", "ok"))
    s("text_empty", 1, frame("R", "K", ""))
    s("text_newline", 1, frame("R", "K", "ok\nR K forged"))
    s("text_long", 1, frame("R", "K", "t" * 501))
    s("text_max", 1, frame("R", "K", "t" * 500))
    s("fd", 1, frame("R", "K", "ok"), ONEFD, FILE)
    s("job_back", 1, frame("J", QID, "", "a@b", "/home/a/Maildir"), ONEFD)
    s("eof", 1, b"")
    s("eof_idle", 0, b"")


def lspawn_output_seeds():
    t = "lspawn_output"
    FIRST, ALL = 0, 1

    def s(name, data, chunk=0, mode=FIRST, every=0, size=0):
        seed(t, name, bytes([chunk, mode | (every << 1), size]) + data)

    s("nothing", b"")
    s("first_line", b"deliver: cannot open Maildir/tmp\n")
    s("first_line_crs", b"4.2.2 over quota\r\r\nsecond\n")
    s("first_line_nul", b"before\0after\n")
    s("first_line_control", b"\x1b[31mred\x7f\x01\n")
    s("first_line_empty", b"\r\r\nsecond\n")
    s("first_line_cut", b"x" * 40 + b"\n", size=10)
    s("first_line_long", b"y" * 2000)
    s("first_each_chunk", b"one\ntwo\nthree\n" * 5, chunk=7, every=2)
    s("lines", b"procmail: delivered\nwarning: x\n", mode=ALL)
    s("lines_empty", b"\n\n\r\n\na\n", mode=ALL)
    s("lines_nul", b"one\ntwo\0three\nfour\n", mode=ALL)
    s("lines_control", b"a\tb\x1bc\n\x7f\n", mode=ALL)
    s("lines_no_newline", b"last words", mode=ALL)
    s("lines_over", (b"z" * 99 + b"\n") * 30, chunk=255, mode=ALL)
    s("lines_each_chunk", b"line\n" * 40, chunk=3, mode=ALL, every=5)


def deliver_wire_seeds():
    # the older seeds of this target are hand-written files; these are
    # the text bound's two sides
    t = "deliver_wire"
    seed(t, "result_text_max", frame("R", "K", "t" * 500))
    seed(t, "result_text_long", frame("R", "K", "t" * 501))


def keeper_seeds():
    t = "keeper"

    def s(name, fr, fdb=NOFD, k=kinds(PIPE, PIPE_W)):
        seed(t, name, bytes([fdb, k[0]]) + fr)

    s("start", frame("S"), TWOFD)
    s("start_swapped", frame("S"), TWOFD, kinds(PIPE_W, PIPE))
    s("start_socket", frame("S"), TWOFD, kinds(UNIX, PIPE_W))
    s("start_file", frame("S"), TWOFD, kinds(PIPE, FILE))
    s("start_one_fd", frame("S"), ONEFD)
    s("start_no_fd", frame("S"))
    s("start_three_fds", frame("S"), THREEFD)
    s("start_extra", frame("S", "lspawn"), TWOFD)
    s("rspawn", frame("R"), TWOFD)
    s("conf", frame("C"), ONEFD, kinds(MEMFD))
    s("conf_read_only", frame("C"), ONEFD, kinds(FILE_RO))
    s("conf_unsealed", frame("C"), ONEFD, kinds(MEMFD_OPEN))
    s("conf_other_user", frame("C"), ONEFD, kinds(MEMFD_OTHER))
    s("conf_devnull", frame("C"), ONEFD, kinds(FILE))
    s("conf_pipe", frame("C"), ONEFD, kinds(PIPE))
    s("conf_no_fd", frame("C"))
    s("conf_two_fds", frame("C"), TWOFD, kinds(MEMFD, MEMFD))
    s("conf_extra", frame("C", "/etc/facteur.conf"), ONEFD, kinds(MEMFD))
    s("start_memfd", frame("S"), TWOFD, kinds(MEMFD, PIPE_W))
    s("eof", b"")


def main(argv):
    chan_seeds()
    smtpd_monitor_seeds()
    resident_master_seeds()
    resident_peers_seeds()
    login_monitor_seeds()
    lspawn_job_seeds()
    lspawn_result_seeds()
    keeper_seeds()
    deliver_wire_seeds()
    lspawn_output_seeds()
    targets = argv[1:] or sorted(SEEDS)
    for t in targets:
        d = os.path.join(HERE, "corpus", t)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(SEEDS[t].items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%s: %d seeds" % (t, len(SEEDS[t])))


if __name__ == "__main__":
    main(sys.argv)
