"""``eksa_temporal.tools.runner.run``: output and environment, the log line and its
redaction, deadlines and cancellation ending the whole process group, bounded output and
the mapping of failures to retryable or permanent errors."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs
from temporalio.exceptions import CancelledError

from eksa_temporal.errors import PermanentError
from eksa_temporal.tools.runner import (
    MASK,
    KnownMessage,
    ToolCancelled,
    ToolError,
    ToolFailed,
    ToolTimeout,
    run,
)

PY = sys.executable


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (no process, or a zombie waiting for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if not gone(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


def read_pids(path: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists():
            pids = [int(x) for x in path.read_text().split()]
            if len(pids) >= count:
                return pids
        time.sleep(0.05)
    raise AssertionError(f"{path} did not list {count} pids")


def command_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e.get("event") in ("command", "command stopped", "command not started")]


def test_output_exit_code_env_and_stdin() -> None:
    result = run(
        ["sh", "-c", 'echo "out $FOO"; echo err >&2; cat; test -n "$PATH"'],
        env={"FOO": "bar"},
        stdin="from stdin\n",
        timeout=10,
    )
    assert result.exit_code == 0
    assert result.stdout == "out bar\nfrom stdin\n"  # env merged over the worker's (PATH kept)
    assert result.stderr == "err\n"
    assert result.argv == ("sh", "-c", 'echo "out $FOO"; echo err >&2; cat; test -n "$PATH"')
    assert not result.truncated and result.seconds >= 0


def test_one_log_line_per_command_with_secrets_masked() -> None:
    secret = "hunter2-S3CRET"
    with capture_logs() as logs:
        run(
            ["sh", "-c", "true", "--password", secret, f"--url=https://me:{secret}@host"],
            env={"API_TOKEN": "tok-123", "MY_VALUE": "v-456", "HTTPS_PROXY": "http://bob:pw@proxy:3128", "PLAIN": "visible"},
            secrets=[secret],
            secret_env=["MY_VALUE"],
            timeout=10,
        )
    lines = command_lines(logs)
    assert len(lines) == 1
    line = lines[0]
    text = repr(logs)
    for hidden in (secret, "tok-123", "v-456", "bob:pw"):
        assert hidden not in text
    assert line["tool"] == "sh" and line["exit_code"] == 0 and "seconds" in line
    assert line["argv"] == ["sh", "-c", "true", "--password", MASK, f"--url=https://{MASK}@host"]
    assert line["env"] == {
        "API_TOKEN": MASK,
        "MY_VALUE": MASK,
        "HTTPS_PROXY": f"http://{MASK}@proxy:3128",
        "PLAIN": "visible",
    }


def test_secrets_never_reach_errors() -> None:
    secret = "pa55-word-xyz"
    with capture_logs() as logs, pytest.raises(ToolError) as caught:
        run(["sh", "-c", f"echo 'login failed for {secret}' >&2; exit 3"], secrets=[secret], timeout=10)
    err = caught.value
    assert err.exit_code == 3 and err.retryable
    assert secret not in str(err) and secret not in err.stderr_tail and secret not in " ".join(err.argv)
    assert MASK in str(err)
    assert secret not in repr(logs)


def test_stdout_of_sensitive_commands_is_never_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EKSA_LOG_TOOL_OUTPUT", "1")  # stdout logged, except when sensitive
    with capture_logs() as logs:
        plain = run(["echo", "ordinary-output"], timeout=10)
        kubeconfig = run([PY, "-c", "print('client-key-data: ' + 'QU' + 'JD')"], timeout=10, sensitive_output=True)
    assert kubeconfig.stdout == "client-key-data: QUJD\n"  # returned to the caller ...
    assert "QUJD" not in repr(logs)  # ... never logged
    assert plain.stdout and "ordinary-output" in repr(logs)


def test_timeout_ends_the_process_group_including_grandchildren(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(ToolTimeout) as caught:
        run(
            ["sh", "-c", f"sleep 100 & echo $! >> {pids}; sleep 100 & echo $! >> {pids}; echo $$ >> {pids}; wait"],
            timeout=1.0,
            grace=1.0,
        )
    assert time.monotonic() - started < 10
    assert caught.value.retryable and not isinstance(caught.value, PermanentError)
    assert "timed out after 1s" in str(caught.value)
    found = read_pids(pids, 3)
    assert wait_gone(found) == [], f"still running: {found}"


def test_a_process_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); open({str(pids)!r}, 'w').write(str(os.getpid())); time.sleep(100)"
    started = time.monotonic()
    with pytest.raises(ToolTimeout):
        run([PY, "-c", script], timeout=1.5, grace=0.5)
    assert time.monotonic() - started < 10
    assert wait_gone(read_pids(pids, 1)) == []


def test_cancel_callback_ends_the_group_and_ticks_heartbeat(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    ticks: list[float] = []
    start = time.monotonic()

    def cancelled() -> bool:
        return time.monotonic() - start > 1.0

    with pytest.raises(ToolCancelled) as caught:
        run(
            ["sh", "-c", f"sleep 100 & echo $! >> {pids}; sleep 100 & echo $! >> {pids}; wait"],
            timeout=60,
            cancelled=cancelled,
            on_tick=lambda: ticks.append(time.monotonic()),
            tick_every=0.2,
            grace=1.0,
        )
    assert isinstance(caught.value, CancelledError)  # Temporal reports the activity cancelled
    assert time.monotonic() - start < 10
    assert len(ticks) >= 2
    assert wait_gone(read_pids(pids, 2)) == []


def test_background_processes_left_holding_the_output_are_ended(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = run(["sh", "-c", f"sleep 100 & echo $! >> {pids}; echo done"], timeout=30)
    assert result.exit_code == 0 and result.stdout == "done\n"
    assert time.monotonic() - started < 15
    assert wait_gone(read_pids(pids, 1)) == []


def test_output_is_bounded_keeping_the_tail() -> None:
    script = "import sys; sys.stdout.write('a' * 300000 + 'THE-END'); sys.stderr.write('e' * 300000)"
    result = run([PY, "-c", script], timeout=30, max_output=1000)
    assert result.truncated
    assert result.stdout.startswith("[... output truncated; last 1000 bytes kept]")
    assert result.stdout.endswith("THE-END")
    body = result.stdout.split("\n", 1)[1]
    assert len(body) == 1000 and len(result.stderr.split("\n", 1)[1]) == 1000


KNOWN = (
    KnownMessage(r"permission denied while trying", retryable=False, meaning="no permission", fix="join the group"),
    KnownMessage(r"Cannot connect to the Docker daemon", retryable=True, meaning="daemon down"),
)


def test_known_permanent_message_raises_tool_failed() -> None:
    with pytest.raises(ToolFailed) as caught:
        run(["sh", "-c", "echo 'Got permission denied while trying to connect' >&2; exit 1"], known=KNOWN, timeout=10)
    err = caught.value
    assert isinstance(err, PermanentError) and err.non_retryable and err.type == "ToolFailed"
    assert err.meaning == "no permission" and err.exit_code == 1 and not err.retryable
    assert "(fix: join the group)" in str(err)


def test_known_retryable_and_unknown_failures_raise_tool_error() -> None:
    with pytest.raises(ToolError) as caught:
        run(["sh", "-c", "echo 'Cannot connect to the Docker daemon at unix:///x' >&2; exit 1"], known=KNOWN, timeout=10)
    assert caught.value.retryable and caught.value.meaning == "daemon down"
    assert not isinstance(caught.value, PermanentError)
    with pytest.raises(ToolError) as unknown:
        run(["sh", "-c", "echo something odd >&2; exit 7"], known=KNOWN, timeout=10)
    assert unknown.value.retryable and unknown.value.exit_code == 7 and unknown.value.meaning == ""
    assert "exited with code 7: something odd" in str(unknown.value)


def test_check_false_returns_the_failure() -> None:
    result = run(["sh", "-c", "echo nope >&2; exit 4"], timeout=10, check=False)
    assert result.exit_code == 4 and result.stderr == "nope\n"


def test_missing_executable_is_permanent(tmp_path: Path) -> None:
    with capture_logs() as logs, pytest.raises(ToolFailed) as caught:
        run([str(tmp_path / "no-such-tool"), "version"], timeout=10)
    err = caught.value
    assert err.exit_code is None and err.meaning == "executable not found" and err.non_retryable
    assert "install no-such-tool" in str(err)
    assert command_lines(logs)[0]["event"] == "command not started"


def test_environment_is_not_leaked_into_the_worker() -> None:
    run(["true"], env={"EKSA_RUNNER_PROBE": "1"}, timeout=10)
    assert "EKSA_RUNNER_PROBE" not in os.environ
