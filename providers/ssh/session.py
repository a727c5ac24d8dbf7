"""One SSH session to one host (paramiko): host keys pinned, commands over exec channels,
files read and written through them.

``connect()`` opens exactly one SSH connection for the session; every command, file read
and file write of the session is a channel on it. Host keys are pinned from the host's
known-hosts file under ``RejectPolicy`` rules: a key the file does not know is refused
(``HostKeyUnknown``) unless the host allows first contact, in which case it is recorded
there; a different key is ``HostKeyChanged``. The private key is loaded from its path and
never logged. Each command logs one line (host, command, exit code, seconds); commands and
output in logs and errors pass through the product's ``Redactor`` plus patterns for PEM
private keys and kubeadm bootstrap tokens. Connections opened are counted per host name
(``connection_count``) so tests and benchmarks can hold the one-connection rule.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import re
import select
import shlex
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import paramiko

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.ssh.hosts import (
    AuthFailed,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    RemoteCommandFailed,
    SSHHost,
)
from eksa_temporal.tools.runner import MASK, Redactor

log = get_logger(__name__)

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_COMMAND_TIMEOUT = 300.0
_TAIL = 2000
_MISSING_RC = 44

_PEM_PRIVATE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|\Z)", re.S
)
_KUBEADM_TOKEN = re.compile(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b")

_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()
_known_hosts_lock = threading.Lock()


def connection_count(host_name: str) -> int:
    """SSH connections opened to the host named ``host_name`` by this process."""
    with _counts_lock:
        return _counts[host_name]


def connection_counts() -> dict[str, int]:
    with _counts_lock:
        return dict(_counts)


def reset_connection_counts() -> None:
    with _counts_lock:
        _counts.clear()


def make_redactor(secrets: Sequence[str] = ()) -> Callable[[str], str]:
    """The product's ``Redactor`` for ``secrets``, plus PEM private keys and kubeadm tokens."""
    base = Redactor(secrets)

    def redact(text: str) -> str:
        text = _PEM_PRIVATE.sub(MASK, base(text))
        return _KUBEADM_TOKEN.sub(MASK, text)

    return redact


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def ok(self) -> bool:
        return self.rc == 0


@dataclass(frozen=True)
class FileState:
    """What a file on a host is now: content hash, mode (octal digits) and ``user:group``."""

    sha256: str
    mode: str
    owner: str


def _mode(mode: str | int) -> str:
    """``"0644"``, ``"0o644"``, ``"644"`` or ``0o644`` as ``"644"`` (``stat -c %a``)."""
    value = mode if isinstance(mode, int) else int(str(mode).lower().removeprefix("0o") or "0", 8)
    return format(value, "o")


def file_states_command(paths: Sequence[str]) -> str:
    """A shell command printing one ``sha256 mode user:group`` line (``- - -`` when
    missing) per path, in order."""
    script = (
        'for p in "$@"; do if [ -f "$p" ]; then '
        'printf "%s %s\\n" "$(sha256sum < "$p" | cut -d" " -f1)" "$(stat -c "%a %U:%G" -- "$p")"; '
        'else echo "- - -"; fi; done'
    )
    return f"sh -c {shlex.quote(script)} sh " + " ".join(shlex.quote(p) for p in paths)


def parse_file_states(host: SSHHost, paths: Sequence[str], text: str) -> dict[str, FileState | None]:
    """The output of ``file_states_command(paths)`` as a ``FileState`` (or ``None``) per path."""
    lines = text.splitlines()
    if len(lines) != len(paths):
        raise RemoteCommandFailed(host, "file states", 0, f"unexpected output: {text[:200]!r}")
    states: dict[str, FileState | None] = {}
    for path, line in zip(paths, lines, strict=True):
        sha, mode, owner = [*line.split(" ", 2), "", ""][:3]
        states[path] = None if sha == "-" else FileState(sha, mode, owner)
    return states


class _PinnedKeys(paramiko.RejectPolicy):  # type: ignore[misc]
    """Refuses an unknown host key unless the host allows first contact; then records it."""

    def __init__(self, host: SSHHost) -> None:
        self.host = host

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.host.first_contact:
            raise HostKeyUnknown(
                f"host key {key.get_name()} {fingerprint(key)} of {self.host.target} is not in "
                f"{self.host.known_hosts_file}"
            )
        path = Path(self.host.known_hosts_file)
        line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
        with _known_hosts_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                path.chmod(0o600)
                fh.write(line)
        client.get_host_keys().add(hostname, key.get_name(), key)
        log.info(
            "host key recorded on first contact",
            host=self.host.name, key_type=key.get_name(), fingerprint=fingerprint(key),
        )


def _load_private_key(host: SSHHost) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(host.private_key_file)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise AuthFailed(
            f"host {host.target}: the private key file {host.private_key_file} cannot be used ({reason})",
            fix="point privateKeyFile at a readable, unencrypted private key on the worker",
        ) from None


def connect(
    host: SSHHost, *, timeout: float = DEFAULT_CONNECT_TIMEOUT, secrets: Sequence[str] = ()
) -> HostSession:
    """Open the session's one SSH connection to ``host`` (close it with ``with`` or
    ``close()``)."""
    pkey = _load_private_key(host)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(_PinnedKeys(host))
    known = Path(host.known_hosts_file)
    if known.exists():
        client.get_host_keys().load(str(known))
    started = time.monotonic()
    try:
        client.connect(
            host.address,
            port=host.port,
            username=host.user,
            pkey=pkey,
            look_for_keys=False,
            allow_agent=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
        )
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyChanged(
            f"host key of {host.target} changed: {host.known_hosts_file} pins "
            f"{fingerprint(exc.expected_key)}, the host offered {fingerprint(exc.key)}"
        ) from None
    except paramiko.AuthenticationException:
        client.close()
        raise AuthFailed(
            f"host {host.target} refused the private key {host.private_key_file} for user {host.user}"
        ) from None
    except (OSError, EOFError, paramiko.SSHException) as exc:
        client.close()
        raise HostUnreachable(host, str(exc) or type(exc).__name__) from None
    except BaseException:
        client.close()
        raise
    with _counts_lock:
        _counts[host.name] += 1
    transport = client.get_transport()
    if transport is not None:
        transport.set_keepalive(30)
    log.info("ssh connected", host=host.name, address=host.address, port=host.port,
             seconds=round(time.monotonic() - started, 3))
    return HostSession(host, client, make_redactor(secrets))


class HostSession:
    """Commands and files on one host over one SSH connection."""

    def __init__(self, host: SSHHost, client: paramiko.SSHClient, redact: Callable[[str], str]) -> None:
        self.host = host
        self.redact = redact
        self._client = client

    def __enter__(self) -> HostSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def run(
        self,
        cmd: str,
        *,
        stdin: bytes | None = None,
        timeout: float = DEFAULT_COMMAND_TIMEOUT,
        check: bool = False,
        log_output: bool = True,
        on_tick: Callable[[], None] | None = None,
    ) -> Result:
        """Run ``cmd`` (a shell command line) on the host; ``check`` raises
        ``RemoteCommandFailed`` on a non-zero exit. ``log_output=False`` keeps the output
        (file contents) out of the logs. ``on_tick`` is called about every second while the
        command runs (an activity's heartbeat; an exception it raises stops waiting)."""
        shown = self.redact(cmd)
        if len(shown) > 300:
            shown = shown[:300] + "..."
        started = time.monotonic()
        try:
            rc, out, err = self._exec(cmd, stdin, timeout, on_tick)
        except (EOFError, OSError, paramiko.SSHException) as exc:
            raise HostUnreachable(self.host, f"connection lost: {exc or type(exc).__name__}") from None
        seconds = round(time.monotonic() - started, 3)
        err_tail = self.redact(err[-_TAIL:].decode(errors="replace"))
        fields: dict[str, Any] = {"host": self.host.name, "command": shown, "rc": rc, "seconds": seconds}
        if log_output and rc != 0:
            fields["stderr"] = err_tail
            fields["stdout"] = self.redact(out[-_TAIL:].decode(errors="replace"))
        log.info("ssh command", **fields)
        if rc is None:
            raise RemoteCommandFailed(self.host, shown, None, err_tail)
        if check and rc != 0:
            raise RemoteCommandFailed(self.host, shown, rc, err_tail or self.redact(out[-_TAIL:].decode(errors="replace")))
        return Result(rc, out, err)

    def _exec(
        self, cmd: str, stdin: bytes | None, timeout: float, on_tick: Callable[[], None] | None
    ) -> tuple[int | None, bytes, bytes]:
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise EOFError("the SSH connection is closed")
        chan = transport.open_session(timeout=DEFAULT_CONNECT_TIMEOUT)
        try:
            fd = chan.fileno()
            chan.exec_command(cmd)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()
            out, err = bytearray(), bytearray()
            deadline = time.monotonic() + timeout
            next_tick = time.monotonic() + 1.0
            while True:
                while chan.recv_ready():
                    out += chan.recv(65536)
                while chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                    rc: int = chan.recv_exit_status()
                    if rc == -1 and not transport.is_active():  # closed, no exit status
                        raise EOFError("the SSH connection closed during the command")
                    return rc, bytes(out), bytes(err)  # -1: ended by a signal
                if not transport.is_active():
                    raise EOFError("the SSH connection closed during the command")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, bytes(out), bytes(err)
                select.select([fd], [], [], min(remaining, 0.2))
                if on_tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + 1.0
                    on_tick()
        finally:
            chan.close()

    # files --------------------------------------------------------------------------------

    def read_file(self, path: str) -> bytes | None:
        """The file's content, or ``None`` when it does not exist."""
        q = shlex.quote(path)
        res = self.run(f"test -e {q} || exit {_MISSING_RC}; exec cat -- {q}", log_output=False)
        if res.rc == _MISSING_RC:
            return None
        if res.rc != 0:
            raise RemoteCommandFailed(self.host, f"read {path}", res.rc, self.redact(res.stderr.decode(errors="replace")))
        return res.stdout

    def file_states(self, paths: Sequence[str]) -> dict[str, FileState | None]:
        """For each path its ``FileState`` (``None`` when missing), read in one command."""
        if not paths:
            return {}
        res = self.run(file_states_command(paths), check=True)
        return parse_file_states(self.host, paths, res.text)

    def write_file(
        self, path: str, data: bytes | str, *, mode: str | int = "0644", owner: str | None = None
    ) -> bool:
        """Make ``path`` hold ``data`` with ``mode`` (and ``owner`` ``user[:group]``); read
        first and change only what differs. Returns whether anything changed."""
        return self.apply_file(path, data, mode=mode, owner=owner, current=self.file_states([path])[path])

    def apply_file(
        self, path: str, data: bytes | str, *, mode: str | int, owner: str | None,
        current: FileState | None,
    ) -> bool:
        """``write_file`` with the file's state already read (``file_states``)."""
        content = data.encode() if isinstance(data, str) else data
        want = hashlib.sha256(content).hexdigest()
        q = shlex.quote(path)
        if isinstance(current, FileState) and current.sha256 == want:
            fixes = []
            if current.mode != _mode(mode):
                fixes.append(f"chmod {_mode(mode)} -- {q}")
            if owner and not _owner_matches(current.owner, owner):
                fixes.append(f"chown {shlex.quote(owner)} -- {q}")
            if not fixes:
                log.info("file unchanged", host=self.host.name, path=path)
                return False
            self.run(" && ".join(fixes), check=True)
            log.info("file mode/owner set", host=self.host.name, path=path)
            return True
        chown = f'chown {shlex.quote(owner)} "$t"; ' if owner else ""
        script = (
            f"set -e; p={q}; d=$(dirname -- \"$p\"); mkdir -p -- \"$d\"; "
            't=$(mktemp "$d/.eksa-write.XXXXXX"); trap \'rm -f "$t"\' EXIT; '
            f'cat > "$t"; chmod {_mode(mode)} "$t"; {chown}mv -f -- "$t" "$p"; trap - EXIT'
        )
        self.run(script, stdin=content, check=True)
        log.info("file written", host=self.host.name, path=path, bytes=len(content), sha256=want[:12])
        return True


def _owner_matches(current: str, wanted: str) -> bool:
    user, _, group = wanted.partition(":")
    cur_user, _, cur_group = current.partition(":")
    return user == cur_user and (not group or group == cur_group)


__all__ = [
    "FileState",
    "HostSession",
    "Result",
    "connect",
    "connection_count",
    "connection_counts",
    "file_states_command",
    "fingerprint",
    "make_redactor",
    "parse_file_states",
    "reset_connection_counts",
]
