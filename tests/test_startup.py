"""An invalid configuration stops the server, in every way antiextract is run, as real
processes: uvicorn serving ``app.add_middleware`` (the FastAPI example) and the vLLM-style
zero-argument construction, the example server, the gateway and the CLI.

Under uvicorn the middleware fails the lifespan start-up: the process exits (status 3)
after one line that names the variable, its value and what is accepted. A server that
skips lifespan (``--lifespan off``) starts, and every request gets a generic 503 while
the log names the error once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .test_proxy_process import ROOT, antiextract_command, clean_env, free_port, stop

BAD_MODE = {"ANTIEXTRACT_MODE": "bogus"}
MODE_LINE = ("ANTIEXTRACT_MODE='bogus'", "'enforce' or 'shadow'")
EXIT_WAIT = 60.0  # seconds a process may take to start, fail and exit on a loaded machine


def _uvicorn(target: str, lifespan: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
            "--lifespan", lifespan]  # fmt: skip


SERVERS = {
    # FastAPI's app.add_middleware(AntiExtractMiddleware), as in the README (and vLLM)
    "add_middleware": lambda lifespan: _uvicorn("examples.fastapi_app:app", lifespan),
    # AntiExtractMiddleware(app) with no settings, built at import
    "zero_arg": lambda lifespan: _uvicorn("tests.wrapped_app:app", lifespan),
}


def finished(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a process that must stop on its own; its exit status and output."""
    try:
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=EXIT_WAIT)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{argv} kept running with an invalid configuration:\n{exc.stderr!s}")


def lines_naming(text: str, *needles: str) -> list[str]:
    return [line for line in text.splitlines() if all(n in line for n in needles)]


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    named = lines_naming(done.stderr, *needles)
    assert len(named) == 1, done.stderr
    assert len(lines_naming(output, needles[0])) == 1, output
    return named[0]


@pytest.mark.parametrize("lifespan", ["auto", "on"])
@pytest.mark.parametrize("server", sorted(SERVERS))
def test_uvicorn_exits_with_one_line_naming_the_setting(server: str, lifespan: str) -> None:
    argv = [*SERVERS[server](lifespan), "--port", str(free_port())]
    done = finished(argv, clean_env(**BAD_MODE))
    assert done.returncode == 3, done.stderr  # uvicorn's "application startup failed"
    assert_one_clear_line(done, *MODE_LINE)
    assert "Uvicorn running" not in done.stderr


def test_the_example_server_exits_with_one_line() -> None:
    """examples/openai_server.py: the zero-argument construction under uvicorn.run."""
    argv = [sys.executable, str(ROOT / "examples" / "openai_server.py"), "--port", str(free_port())]
    done = finished(argv, clean_env(**BAD_MODE))
    assert done.returncode != 0
    assert_one_clear_line(done, *MODE_LINE)


@pytest.mark.parametrize(
    ("env", "needles"),
    [
        ({"ANTIEXTRACT_RISK_MODEL": "{bad"}, ("ANTIEXTRACT_RISK_MODEL='{bad'", "not valid JSON")),
        ({"ANTIEXTRACT_RISK_MODEL": '{"youth_days": 0}'}, ("ANTIEXTRACT_RISK_MODEL", "youth_days")),
        ({"ANTIEXTRACT_FAIL_MOD": "closed"}, ("ANTIEXTRACT_FAIL_MOD", "ANTIEXTRACT_FAIL_MODE")),
        (
            {"ANTIEXTRACT_DEGRADE_AT": "12"},
            ("ANTIEXTRACT_DEGRADE_AT=12", "ANTIEXTRACT_CHALLENGE_AT"),
        ),
    ],
)
def test_uvicorn_refuses_json_model_misspelling_and_order(env, needles) -> None:
    done = finished(
        [*SERVERS["add_middleware"]("auto"), "--port", str(free_port())], clean_env(**env)
    )
    assert done.returncode == 3, done.stderr
    assert_one_clear_line(done, *needles)


def test_a_mistyped_storage_uri_never_prints_its_password() -> None:
    env = clean_env(ANTIEXTRACT_STORAGE_URI="redis+clustr://user:PASSWORD@db.internal:6379")
    done = finished([*SERVERS["zero_arg"]("auto"), "--port", str(free_port())], env)
    assert done.returncode == 3
    line = assert_one_clear_line(done, "ANTIEXTRACT_STORAGE_URI", "redis+clustr://***@db.internal")
    assert "redis+cluster://" in line  # what is accepted
    assert "PASSWORD" not in done.stdout + done.stderr


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_without_lifespan_every_request_is_refused_and_logged_once(
    server: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*SERVERS[server]("off"), "--port", str(port)], env=clean_env(**BAD_MODE),
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        responses = _requests_once_up(f"http://127.0.0.1:{port}", process, log)
    finally:
        stop(process)
    for response in responses:
        assert response.status_code == 503
        assert response.headers["x-should-retry"] == "false"
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
        assert "ANTIEXTRACT" not in response.text and "bogus" not in response.text  # generic
    text = log.read_text()
    assert "Traceback" not in text and " 500 " not in text
    assert len(lines_naming(text, *MODE_LINE)) == 1, text


def _requests_once_up(
    url: str, process: subprocess.Popen[bytes], log: Path
) -> list[httpx.Response]:
    """A health check, a protected request and an unprotected one, once the server
    answers (any status: on main it answered 500 to each)."""
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    deadline = time.monotonic() + EXIT_WAIT
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as client:
        while True:
            assert process.poll() is None, log.read_text()
            try:
                first = client.get("/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        return [
            first,
            client.post("/v1/chat/completions", json=chat),
            client.get("/v1/models"),
            client.get("/health"),
        ]


# --- the gateway and the operator commands ----------------------------------------------


GATEWAY_CASES = [
    (BAD_MODE, MODE_LINE),
    ({"ANTIEXTRACT_RISK_MODEL": "{bad"}, ("ANTIEXTRACT_RISK_MODEL='{bad'", "not valid JSON")),
    (
        {"ANTIEXTRACT_CAMPAIGN_MODEL": '{"full_young": 0}'},
        ("ANTIEXTRACT_CAMPAIGN_MODEL", "full_young"),
    ),
    (
        {"ANTIEXTRACT_STORE_TIMEOUT": "9"},
        ("ANTIEXTRACT_STORE_TIMEOUT=9", "ANTIEXTRACT_STORE_RETRY_SECONDS=5"),
    ),
    (
        {"ANTIEXTRACT_STORAGE_URI": "redis://:PASSWORD@127.0.0.1:port/0"},
        ("ANTIEXTRACT_STORAGE_URI", "redis://***@127.0.0.1:port/0"),
    ),
]


@pytest.mark.parametrize(("env", "needles"), GATEWAY_CASES)
def test_the_gateway_exits_2_with_one_line_before_listening(env, needles) -> None:
    port = free_port()
    argv = [
        *antiextract_command(),
        "proxy",
        "--upstream",
        "http://127.0.0.1:9",
        "--port",
        str(port),
    ]
    done = finished(argv, clean_env(**env))
    assert done.returncode == 2, done.stderr
    assert_one_clear_line(done, *needles)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # nothing listened
    assert "PASSWORD" not in done.stderr


@pytest.mark.parametrize("command", [["config"], ["campaigns"], ["inspect", "key:00"]])
def test_the_cli_exits_2_with_one_line(command: list[str]) -> None:
    env = clean_env(ANTIEXTRACT_RISK_MODEL="{bad", ANTIEXTRACT_STORAGE_URI="redis://127.0.0.1:1/0")
    done = finished([*antiextract_command(), *command], env)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert_one_clear_line(done, "ANTIEXTRACT_RISK_MODEL='{bad'", "not valid JSON")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_unknown_variable_is_one_warning_and_the_test_suites_is_none() -> None:
    env = clean_env(
        ANTIEXTRACT_SOMETHING_ELSE="1",
        ANTIEXTRACT_TEST_REDIS_URL="redis://127.0.0.1:1/15",
        ANTIEXTRACT_UPSTREAM="http://127.0.0.1:9",
    )
    done = finished([*antiextract_command(), "config", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert lines_naming(done.stderr, "ANTIEXTRACT_SOMETHING_ELSE") == [done.stderr.strip()]
    assert "TEST_REDIS_URL" not in done.stderr and "UPSTREAM" not in done.stderr
