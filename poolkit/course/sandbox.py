"""A sandbox for one submission's kernel: bubblewrap, an unprivileged user, limits.

:mod:`poolkit.course.grading` starts each submission's kernel through :meth:`Sandbox.wrap`:

- ``bwrap`` gives it new pid, network, IPC and UTS namespaces: it sees only its own
  processes (not the grader's ``/proc``, its arguments or its folders), has no network,
  and every process it starts, daemons and ``setsid`` children included, is killed when
  the kernel ends or the grader dies (``--die-with-parent``; the namespace's first
  process is bwrap's, and when it goes, the kernel does too);
- its file system is built from read-only views of the system (``/usr``, ``/etc``, ...),
  the Python environment and poolkit's package folder alone (not the repository around
  it, whose chapters hold the solutions); ``/tmp``, ``/dev/shm`` and its working folder
  are private, size-limited memory; the only folder of the grader's it can write is the
  empty one that holds its connection file, made read-only once it has started;
- inside, it drops root for ``uid`` (one per submission of a run, so the process limit
  is its own), with no capabilities and no way to gain any (``no_new_privs``), under
  limits on its memory (``memory``: RLIMIT_DATA, the heap and every private writable
  mapping, which is what arrays take; not RLIMIT_AS, which PyTorch's and TensorFlow's
  address-space reservations alone exceed), processes (``processes``) and file sizes.
  The limit is per process: a notebook that starts N processes may use N times it
  (N is at most ``processes``).

The kernel and the grader talk over ZeroMQ's ``ipc`` transport: Unix sockets in that
connection folder, which both see at the same path. TCP on the loopback cannot cross the
kernel's empty network namespace; a socket file can.

:func:`available` says whether this machine can do all this (bwrap, setpriv and prlimit
installed, the grader run as root) and, if not, why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sandbox", "available", "MEMORY", "PROCESSES", "FIRST_UID"]

MEMORY = 2 << 30          # bytes of writable private memory (RLIMIT_DATA) of each of the kernel's processes
PROCESSES = 64            # processes and threads of the sandbox's user
FILE_SIZE = 256 << 20     # bytes, the largest file the kernel may write
TMP_SIZE = 256 << 20      # bytes of each private memory file system (/tmp, /dev/shm, the working folder)
FIRST_UID = 61000         # the sandboxes' users: FIRST_UID + slot
UIDS = 4000
WORKDIR = "/home/student"  # the kernel's working folder, inside
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def parse_size(text: str) -> int:
    """``"2G"``, ``"512M"``, ``"1.5g"``, ``"100000000"`` -> bytes."""
    text = str(text).strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMGT" else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"--memory={text!r} is not a size (e.g. 2G, 512M)") from None
    if value < 64 << 20:
        raise ValueError(f"--memory={text!r} is below 64M: no Python kernel starts in that")
    return value


def _python_paths() -> list[tuple[str, str]]:
    """(source, path inside) for the Python environment: the interpreter's installation
    and the environment's, at the paths this Python knows them by and at their real ones."""
    pairs = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        real = os.path.realpath(prefix)
        pairs += [(real, prefix), (real, real)]
    executable_dir = os.path.dirname(os.path.realpath(sys.executable))
    pairs.append((executable_dir, executable_dir))
    return sorted(set(pairs), key=lambda p: p[1].count("/"))


def package_dir() -> str:
    """poolkit's package folder (the one this grader imports): the folder above this one."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Sandbox:
    """How to run one kernel: its user id and limits (see the module docstring)."""

    uid: int = FIRST_UID
    memory: int = MEMORY
    processes: int = PROCESSES

    @classmethod
    def for_slot(cls, slot: int, **limits) -> Sandbox:
        return cls(uid=FIRST_UID + slot % UIDS, **limits)

    def wrap(self, argv: Sequence[str], conndir: str, env: dict) -> list[str]:
        """The command that runs ``argv`` (the kernel) in the sandbox, with ``env`` as its
        whole environment and ``conndir`` (the connection file's folder) at its own path."""
        bwrap = shutil.which("bwrap") or "bwrap"
        cmd = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox", "--clearenv"]
        package = package_dir()
        cmd += ["--proc", "/proc", "--dev", "/dev",
                "--size", str(TMP_SIZE), "--tmpfs", "/dev/shm",
                "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
                "--size", str(TMP_SIZE), "--perms", "1777", "--tmpfs", WORKDIR]
        binds = [(path, path) for path in SYSTEM if os.path.isdir(path) and not os.path.islink(path)]
        binds += [(source, inside) for source, inside in _python_paths() if os.path.isdir(source)]
        binds.append((package, package))
        parents = sorted({str(parent) for _, inside in binds + [(conndir, conndir)]
                          for parent in Path(inside).parents} - {"/", "/tmp"}, key=lambda p: p.count("/"))
        for path in parents:  # made by bwrap, so that the kernel's user may pass through
            cmd += ["--perms", "0755", "--dir", path]
        for path in SYSTEM:
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
        for source, inside in binds:
            cmd += ["--ro-bind", source, inside]
        cmd += ["--bind", conndir, conndir, "--chdir", WORKDIR,
                "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        inner_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORKDIR, "TMPDIR": "/tmp",
                     "IPYTHONDIR": "/tmp/.ipython", "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter",
                     "MPLCONFIGDIR": "/tmp/.matplotlib", "LANG": "C.UTF-8",
                     "PYTHONPATH": os.path.dirname(package), "PYTHONDONTWRITEBYTECODE": "1"}
        inner_env.update({k: v for k, v in env.items() if k in KEEP_ENV})
        for key, value in sorted(inner_env.items()):
            cmd += ["--setenv", key, value]
        cmd += ["--", shutil.which("prlimit") or "/usr/bin/prlimit", f"--data={self.memory}",
                f"--nproc={self.processes}", f"--fsize={FILE_SIZE}", "--core=0", "--",
                shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *argv]
        return cmd


KEEP_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
            "TF_NUM_INTEROP_THREADS", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND",
            "PYTHONHASHSEED", "JPY_PARENT_PID")

_AVAILABLE: tuple[bool, str] | None = None


def available() -> tuple[bool, str]:
    """``(True, "")`` if kernels can be sandboxed here, else ``(False, why)``; the answer is
    found once, by running a command in a sandbox as :meth:`Sandbox.wrap` builds it."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = _probe()
    return _AVAILABLE


def _probe() -> tuple[bool, str]:
    if not sys.platform.startswith("linux"):
        return False, "the sandbox needs Linux (bubblewrap and namespaces)"
    missing = [tool for tool in ("bwrap", "prlimit", "setpriv") if not shutil.which(tool)]
    if missing:
        return False, (f"{', '.join(missing)} not found: install bubblewrap (Debian/Ubuntu: "
                       f"apt-get install bubblewrap util-linux)")
    if os.geteuid() != 0:
        return False, ("the sandbox gives each kernel a user of its own, which needs root: run the grader "
                       "as root in a container or a throw-away machine")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="poolkit-probe-") as conndir:
        os.chmod(conndir, 0o777)
        argv = [sys.executable, "-c", "import os, poolkit; print(os.getuid())"]
        try:
            proc = subprocess.run(Sandbox().wrap(argv, conndir, {}), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return False, f"bwrap could not be run ({err})"
    if proc.returncode != 0 or proc.stdout.strip() != str(FIRST_UID):
        why = " ".join(proc.stderr.split())[-300:] or f"exit code {proc.returncode}"
        return False, (f"bwrap cannot start a sandbox here ({why}))")
    return True, ""
