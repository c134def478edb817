"""
harness_syscall: makes a running process make a system call of the
test's choosing, to show what its seccomp sandbox does with it.

The programs carry no test hook (docs/architecture.md): the call is made
by the process itself.  The test attaches with ptrace (PTRACE_SEIZE, as
root), stops the process at the entry of one of its own system calls and
replaces that call's number and arguments; the kernel runs the process's
seccomp filter on the replaced call (since Linux 4.8 the filter sees what
the tracer left), exactly as if the program had made it.  A forbidden call
kills the process with SIGSYS, which the tracer sees as its wait status.

    st = H.make_syscall(pid, "execve")             # at the next call
    st = H.make_syscall(pid, "execve", at=("openat",))  # mid-delivery
    assert H.killed_by_sigsys(st)       # None: it survived the call

x86_64 only (the registers are the kernel's user_regs_struct).
facteur_harness re-exports every name.
"""
import ctypes
import os
import platform
import signal

PTRACE_CONT = 7
PTRACE_GETREGS = 12
PTRACE_SETREGS = 13
PTRACE_DETACH = 17
PTRACE_SYSCALL = 24
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_GET_SYSCALL_INFO = 0x420e
PTRACE_O_TRACESYSGOOD = 1
PTRACE_SYSCALL_INFO_ENTRY = 1
WALL = 0x40000000

# x86_64 system call numbers (asm/unistd_64.h)
SYSCALLS = {
    "read": 0, "openat": 257, "socket": 41, "connect": 42,
    "execve": 59, "ptrace": 101, "mkdir": 83, "recvmsg": 47,
}
AT_FDCWD = -100
O_WRONLY, O_CREAT = 0o1, 0o100
AF_INET, SOCK_STREAM = 2, 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                         ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


class _Regs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_ulonglong) for n in (
        "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi "
        "orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs").split()]


class _SyscallInfo(ctypes.Structure):
    _fields_ = [("op", ctypes.c_uint8), ("pad", ctypes.c_uint8 * 3),
                ("arch", ctypes.c_uint32), ("ip", ctypes.c_uint64),
                ("sp", ctypes.c_uint64), ("nr", ctypes.c_uint64),
                ("args", ctypes.c_uint64 * 6)]


def syscall_injection_supported():
    """None, or why make_syscall cannot work on this machine."""
    if platform.machine() != "x86_64":
        return "the system call injection knows x86_64 registers only"
    if os.geteuid() != 0:
        return "attaching to another user's process needs root"
    return None


def _ptrace(req, pid, addr=0, data=0):
    r = _libc.ptrace(req, pid, ctypes.c_void_p(addr), ctypes.c_void_p(data))
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, "ptrace(%#x, %d): %s" % (req, pid, os.strerror(e)))
    return r


def _wait(pid):
    _, st = os.waitpid(pid, WALL)
    return st


def _entry_nr(pid):
    """The call number when pid is at a system call entry, else None."""
    info = _SyscallInfo()
    _libc.ptrace(PTRACE_GET_SYSCALL_INFO, pid,
                 ctypes.c_void_p(ctypes.sizeof(info)),
                 ctypes.cast(ctypes.byref(info), ctypes.c_void_p))
    return info.nr if info.op == PTRACE_SYSCALL_INFO_ENTRY else None


def default_args(name):
    """Arguments that make each call what a compromised process would
    try: run /bin/sh, create a file, open a TCP socket."""
    return {
        "execve": (0, 0, 0),
        "openat": (AT_FDCWD & 0xffffffffffffffff, 0, O_WRONLY | O_CREAT,
                   0o600),
        "socket": (AF_INET, SOCK_STREAM, 0),
        "connect": (0, 0, 0),
        "ptrace": (0, 0, 0, 0),
        "mkdir": (0, 0o700),
    }.get(name, ())


def make_syscall(pid, name, args=None, at=None, max_calls=10000):
    """Makes pid call `name` instead of its next system call (or of its
    next call named in `at`) and returns its wait status once it died of
    it, or None when it survived the call (it is then detached and goes
    on: the call was allowed, and made)."""
    why = syscall_injection_supported()
    if why:
        raise AssertionError(why)
    nr = SYSCALLS[name]
    args = list(default_args(name) if args is None else args)
    args += [0] * (6 - len(args))
    wanted = None if at is None else {SYSCALLS[a] for a in at}
    _ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD)
    _ptrace(PTRACE_INTERRUPT, pid)
    st = _wait(pid)
    for _ in range(max_calls):
        if os.WIFEXITED(st) or os.WIFSIGNALED(st):
            raise AssertionError("pid %d ended before the call (status %#x)"
                                 % (pid, st))
        sig = 0
        if os.WIFSTOPPED(st) and os.WSTOPSIG(st) == signal.SIGTRAP | 0x80:
            cur = _entry_nr(pid)
            if cur is not None and (wanted is None or cur in wanted):
                break
        elif os.WIFSTOPPED(st) and (st >> 16) == 0 and \
                os.WSTOPSIG(st) != signal.SIGTRAP:
            sig = os.WSTOPSIG(st)       # a signal for the process: pass it
        _ptrace(PTRACE_SYSCALL, pid, 0, sig)
        st = _wait(pid)
    else:
        _ptrace(PTRACE_DETACH, pid)
        raise AssertionError("pid %d made no %s call" % (pid, at))
    regs = _Regs()
    _ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(regs))
    regs.orig_rax = nr
    (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8,
     regs.r9) = [a & 0xffffffffffffffff for a in args[:6]]
    _ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(regs))
    # Run the call to its exit: a call the filter refused returns there
    # with SIGSYS pending (killing, in enforce; trapped, in report, where
    # the process's handler runs first).  Then follow it to its death,
    # passing on the signals it gets; without SIGSYS pending, it lives.
    _ptrace(PTRACE_SYSCALL, pid)
    st = _wait(pid)
    if os.WIFSTOPPED(st) and not _sigsys_pending(pid):
        _ptrace(PTRACE_DETACH, pid)
        return None
    while os.WIFSTOPPED(st):
        sig = os.WSTOPSIG(st)
        if sig == signal.SIGTRAP | 0x80 or (st >> 16) != 0:
            sig = 0
        _ptrace(PTRACE_SYSCALL, pid, 0, sig)
        st = _wait(pid)
    return st


def _sigsys_pending(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("SigPnd:", "ShdPnd:")) and \
                    int(line.split()[1], 16) & (1 << (signal.SIGSYS - 1)):
                return True
    return False


def killed_by_sigsys(st):
    return os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGSYS


def proc_sandbox(pid):
    """(Seccomp, NoNewPrivs) of pid from /proc/PID/status."""
    seccomp = nnp = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Seccomp:"):
                seccomp = int(line.split()[1])
            elif line.startswith("NoNewPrivs:"):
                nnp = int(line.split()[1])
    return seccomp, nnp
