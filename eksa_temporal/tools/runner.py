"""The one way this product runs an external executable (``kind``, ``docker``, ...).

``run()`` starts the command in its own session (so its process group holds every process
it starts), waits with a deadline while polling a ``cancelled()`` callback and calling
``on_tick()`` (an activity's heartbeat; inside an activity, by default, a heartbeat without
details: the command is bounded by its timeout, so the step is alive while it runs, and the
worker's interceptor resends the step's last details), and on timeout or cancellation ends the whole
group: SIGTERM, a short grace, SIGKILL, then reaps. Output is captured and bounded (the
tail is kept, and marked when cut). Each command logs one line: the tool, its argv with
every secret replaced by ``***`` (and the values of secret environment variables), the exit
code and the seconds it took; the stdout of a command marked ``sensitive_output``
(kubeconfigs) is never logged.

A failed command raises ``ToolError`` (retryable: a plain exception Temporal retries) or
``ToolFailed`` (permanent, a ``PermanentError``) when its output matches a ``KnownMessage``
marked permanent, or when the executable does not exist. A cancelled command raises
``ToolCancelled`` (Temporal's ``CancelledError``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from temporalio import activity
from temporalio.exceptions import CancelledError

from eksa_temporal.errors import PermanentError
from eksa_temporal.logs import get_logger

log = get_logger("tools")

MASK = "***"
DEFAULT_MAX_OUTPUT = 64 * 1024
TRUNCATED = "[... output truncated; last {n} bytes kept]\n"
# env names whose values are never logged, whatever the caller says
_SECRET_NAME = re.compile(r"(password|passwd|token|secret|private_?key|api_?key|credential)", re.I)
# user:password@ in a URL (proxy settings)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)


@dataclass(frozen=True)
class KnownMessage:
    """A message a tool prints that says what went wrong: ``pattern`` (a regular
    expression searched in stderr, then stdout), whether retrying can help, what it means
    and, for a permanent one, what to do about it."""

    pattern: str
    retryable: bool
    meaning: str
    fix: str = ""

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text) is not None


@dataclass(frozen=True)
class ToolResult:
    argv: tuple[str, ...]  # redacted
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    truncated: bool = False


class _ToolDetails:
    """What every tool error carries (``ToolError`` and ``ToolFailed`` alike)."""

    tool: str
    argv: tuple[str, ...]
    exit_code: int | None
    stderr_tail: str
    retryable: bool
    meaning: str

    def _describe(
        self, tool: str, argv: Sequence[str], exit_code: int | None, stderr_tail: str,
        retryable: bool, meaning: str,
    ) -> None:
        self.tool = tool
        self.argv = tuple(argv)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.retryable = retryable
        self.meaning = meaning


class ToolError(_ToolDetails, Exception):
    """A command failed or timed out; retrying may help (Temporal retries it)."""

    def __init__(
        self,
        message: str,
        *,
        tool: str,
        argv: Sequence[str],
        exit_code: int | None,
        stderr_tail: str = "",
        retryable: bool = True,
        meaning: str = "",
    ) -> None:
        super().__init__(message)
        self._describe(tool, argv, exit_code, stderr_tail, retryable, meaning)


class ToolTimeout(ToolError):
    """The command did not finish before its deadline (its process group was ended)."""


class ToolCancelled(CancelledError):
    """The command was stopped because its caller was cancelled."""

    def __init__(self, message: str, *, tool: str, argv: Sequence[str]) -> None:
        super().__init__(message)
        self.tool = tool
        self.argv = tuple(argv)


class ToolFailed(_ToolDetails, PermanentError):
    """A command failed in a way retrying cannot fix (a known permanent message, or the
    executable is missing)."""

    remediation = "see the tool's message above and correct its setup"

    def __init__(
        self,
        message: str,
        *,
        tool: str,
        argv: Sequence[str],
        exit_code: int | None,
        stderr_tail: str = "",
        meaning: str = "",
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix or None)
        self._describe(tool, argv, exit_code, stderr_tail, False, meaning)


class Redactor:
    """Replaces every secret string (and URL credentials) in text with ``***``."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        # longest first, so a secret containing another is masked whole
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)

    def env(self, env: Mapping[str, str], secret_env: Collection[str] = ()) -> dict[str, str]:
        return {
            k: MASK if (k in secret_env or _SECRET_NAME.search(k)) and v else self(v)
            for k, v in env.items()
        }


class _Tail:
    """The last ``limit`` bytes of a stream, read on a thread."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.limit = max(limit, 0)
        self.buf = bytearray()
        self.truncated = 0
        self.stream = stream
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            read = getattr(self.stream, "read1", self.stream.read)
            while chunk := read(65536):
                self.buf += chunk
                if len(self.buf) > self.limit:
                    cut = len(self.buf) - self.limit
                    self.truncated += cut
                    del self.buf[:cut]
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                self.stream.close()

    def text(self) -> str:
        body = self.buf.decode("utf-8", errors="replace")
        return TRUNCATED.format(n=self.limit) + body if self.truncated else body


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """End the command's whole process group: SIGTERM, ``grace`` seconds, SIGKILL; reap."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    _kill_group(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _kill_group(pgid, signal.SIGKILL)  # the leader if it lingers, and any survivor
    proc.wait()


def _tool_name(argv: Sequence[str]) -> str:
    return os.path.basename(argv[0]) if argv else ""


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float,
    secrets: Sequence[str] = (),
    secret_env: Collection[str] = (),
    stdin: str | bytes | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_tick: Callable[[], None] | None = None,
    known: Sequence[KnownMessage] = (),
    check: bool = True,
    max_output: int = DEFAULT_MAX_OUTPUT,
    sensitive_output: bool = False,
    grace: float = 3.0,
    poll: float = 0.1,
    tick_every: float = 1.0,
) -> ToolResult:
    """Run ``argv`` (no shell) and return its result; see the module docstring.

    ``env``: variables merged over the worker's environment; ``secrets``: strings never to
    show in logs or errors; ``secret_env``: names of ``env`` variables whose values are
    secret; ``check``: raise on a non-zero exit code."""
    if not argv:
        raise ValueError("run() needs a command")
    if on_tick is None and activity.in_activity():
        on_tick = activity.heartbeat
    args = [str(a) for a in argv]
    tool = _tool_name(args)
    redact = Redactor([*secrets, *(env[k] for k in secret_env if env and k in env)])
    shown = tuple(redact(a) for a in args)
    fields: dict[str, object] = {"tool": tool, "argv": list(shown)}
    if env:
        fields["env"] = redact.env(env, secret_env)
    full_env = {**os.environ, **env} if env else None
    data = stdin.encode() if isinstance(stdin, str) else stdin
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        log.info("command not started", **fields, error=type(exc).__name__)
        raise ToolFailed(
            f"{tool}: cannot run {args[0]!r}: {exc.strerror or exc}",
            tool=tool,
            argv=shown,
            exit_code=None,
            meaning="executable not found",
            fix=f"install {tool} (or put it on PATH of the worker), then run the operation again",
        ) from None
    assert proc.stdout is not None and proc.stderr is not None
    out = _Tail(proc.stdout, max_output)
    err = _Tail(proc.stderr, max_output)
    if data is not None:
        assert proc.stdin is not None
        threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True).start()

    deadline = started + timeout
    next_tick = started + tick_every
    stopped: str = ""
    try:
        while True:
            try:
                proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now >= deadline:
                stopped = "timeout"
            elif cancelled is not None and cancelled():
                stopped = "cancelled"
            if stopped:
                _stop(proc, grace)
                break
            if on_tick is not None and now >= next_tick:
                next_tick = now + tick_every
                on_tick()
    except BaseException:
        _stop(proc, grace)  # never leave the command running behind an exception
        raise
    # the leader is done; background processes it left may still hold the pipes
    for reader in (out, err):
        reader.thread.join(timeout=2.0)
    if out.thread.is_alive() or err.thread.is_alive():
        _kill_group(proc.pid, signal.SIGKILL)
        for reader in (out, err):
            reader.thread.join(timeout=2.0)
    seconds = round(time.monotonic() - started, 3)
    code = proc.returncode
    stdout, stderr = out.text(), err.text()
    result = ToolResult(
        argv=shown,
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        seconds=seconds,
        truncated=bool(out.truncated or err.truncated),
    )
    tail = redact(_last_lines(stderr))
    if stopped:
        log.warning("command stopped", **fields, reason=stopped, seconds=seconds)
        if stopped == "cancelled":
            raise ToolCancelled(f"{tool}: cancelled after {seconds:.1f}s", tool=tool, argv=shown)
        raise ToolTimeout(
            f"{tool}: timed out after {timeout:g}s: {' '.join(shown)}",
            tool=tool,
            argv=shown,
            exit_code=None,
            stderr_tail=tail,
        )
    extra: dict[str, object] = {}
    if code != 0:
        extra["stderr"] = tail
    if not sensitive_output and log_stdout_enabled():
        extra["stdout"] = redact(_last_lines(stdout))
    log.info("command", **fields, exit_code=code, seconds=seconds, **extra)
    if code != 0 and check:
        raise failure(tool, shown, code, stdout, stderr, known, redact)
    return result


def log_stdout_enabled() -> bool:
    """Whether command stdout goes into the log line (``EKSA_LOG_TOOL_OUTPUT=1``)."""
    return os.environ.get("EKSA_LOG_TOOL_OUTPUT", "") == "1"


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _last_lines(text: str, lines: int = 20, limit: int = 4000) -> str:
    tail = "\n".join(text.strip().splitlines()[-lines:])
    return tail[-limit:]


def failure(
    tool: str,
    shown: Sequence[str],
    code: int,
    stdout: str,
    stderr: str,
    known: Sequence[KnownMessage] = (),
    redact: Redactor | None = None,
) -> ToolError | ToolFailed:
    """The error for a failed command: the first ``known`` message its output matches
    decides retryable or permanent; anything else is retryable."""
    redact = redact or Redactor()
    tail = redact(_last_lines(stderr))
    for msg in known:
        if msg.matches(stderr) or msg.matches(stdout):
            text = f"{tool}: {msg.meaning}: {tail.splitlines()[-1] if tail else f'exit code {code}'}"
            if msg.retryable:
                return ToolError(
                    text, tool=tool, argv=shown, exit_code=code, stderr_tail=tail, meaning=msg.meaning
                )
            return ToolFailed(
                text,
                tool=tool,
                argv=shown,
                exit_code=code,
                stderr_tail=tail,
                meaning=msg.meaning,
                fix=msg.fix or None,
            )
    last = tail.splitlines()[-1] if tail else redact(_last_lines(stdout, 1)) or "no output"
    return ToolError(
        f"{tool} exited with code {code}: {last}",
        tool=tool,
        argv=shown,
        exit_code=code,
        stderr_tail=tail,
    )


__all__ = [
    "MASK",
    "KnownMessage",
    "Redactor",
    "ToolCancelled",
    "ToolError",
    "ToolFailed",
    "ToolResult",
    "ToolTimeout",
    "failure",
    "run",
]
