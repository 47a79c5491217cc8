"""`leadbot serve` starting as a user starts it (a subprocess): it says what it watches and
where it posts, stays quiet about settings chosen on purpose, and a wrong token or an
unreachable Slack is one clear line and exit code 2, in HTTP and in Socket Mode."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from slack_helpers import INTAKE, SALES, serve_command, serve_environment


@pytest.fixture
def serve_env(fake_slack, tmp_path) -> dict[str, str]:
    return serve_environment(fake_slack, tmp_path / "serve.db")


def serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`leadbot serve` that must end by itself (a refused start)."""
    return subprocess.run(
        serve_command(), env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    problems = [
        line for line in result.stderr.splitlines() if " ERROR " in line or "leadbot:" in line
    ]
    assert problems == [line for line in problems if line.startswith("leadbot: ")]
    [problem] = problems
    assert expected in problem


def test_http_start_logs_intake_and_routing_and_no_bolt_warning(serve_env, tmp_path):
    process = subprocess.Popen(
        serve_command(),
        env=serve_env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = []
    try:
        for line in process.stderr:
            log.append(line)
            if "leadbot ready" in line:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        log.extend(process.communicate(timeout=15)[1].splitlines(keepends=True))
    text = "".join(log)
    assert "leadbot ready" in text, text
    assert f"INFO bot.cli.serve: intake: watching {INTAKE}" in text
    assert f"INFO bot.cli.serve: posting hot, warm, cold leads to {SALES}" in text
    assert "WARNING" not in text and "Traceback" not in text


def test_a_refused_bot_token_stops_the_start_in_one_line(serve_env, fake_slack, tmp_path):
    fake_slack.fail_next("auth.test", error="invalid_auth")
    result = serve(serve_env, tmp_path)
    assert_one_clear_line(result, "leadbot: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy")


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_an_unreachable_slack_stops_the_start_in_one_line(serve_env, tmp_path, mode):
    serve_env["SLACK_API_URL"] = "http://127.0.0.1:9/api/"
    if mode == "socket":
        serve_env["SLACK_APP_TOKEN"] = "xapp-test"
    result = serve(serve_env, tmp_path)
    assert_one_clear_line(result, "leadbot: cannot reach Slack at http://127.0.0.1:9/api/")


def test_socket_mode_with_a_refused_app_token_and_no_intake(serve_env, fake_slack, tmp_path):
    serve_env["SLACK_APP_TOKEN"] = "xapp-wrong"
    del serve_env["LEADBOT_INTAKE_CHANNELS"]
    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    result = serve(serve_env, tmp_path)
    assert_one_clear_line(result, "leadbot: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    [warning] = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert "intake: no intake channel: nothing will be picked up" in warning
    assert "set LEADBOT_INTAKE_CHANNELS" in warning
