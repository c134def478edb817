"""
harness_crash: how the harness tells a crash from a stop: the signals that
mean a program crashed, and the log lines that a crash or a sanitizer
report leaves.  facteur_harness re-exports every name.
"""
import re
import signal

# Signals that mean a program crashed rather than being stopped.
CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS,
                 signal.SIGILL, signal.SIGFPE, signal.SIGSYS)
SANITIZER_RE = re.compile(
    r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"SUMMARY: (Address|Undefined|Leak|Thread)Sanitizer|"
    r"ERROR: ThreadSanitizer)")
CRASH_RE = re.compile(
    r"(Segmentation fault|core dumped|\bSIG(SEGV|ABRT|BUS|ILL|FPE|SYS)\b|"
    r"signal (4|6|7|8|11|31)\b)")
