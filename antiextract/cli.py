"""The ``antiextract`` command: demo and operator tools, configured like the middleware."""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import SecretStr

from .settings import Settings, SettingsError, load_settings


def _config(args: argparse.Namespace) -> int:
    settings = load_settings()
    data = effective_config(settings)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            print(f"{key.ljust(width)}  {value}")
    return 0


def effective_config(settings: Settings) -> dict[str, object]:
    """Every setting as its environment variable, secrets and passwords masked."""
    out: dict[str, object] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "<set>"
        elif isinstance(value, tuple) and value and isinstance(value[0], SecretStr):
            value = f"<{len(value)} set>"
        elif name == "storage_uri" and "@" in str(value):
            scheme, rest = str(value).split("://", 1)
            value = f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        elif isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        out["ANTIEXTRACT_" + name.upper()] = value
    return out


def _demo(args: argparse.Namespace) -> int:
    from .demo import main as demo_main

    return demo_main(duration=args.seconds)


def _proxy(args: argparse.Namespace) -> int:
    from .proxy import run_proxy

    run_proxy(
        args.upstream,
        host=args.host,
        port=args.port,
        timeout=args.timeout,
        max_connections=args.max_connections,
        log_level=args.log_level,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antiextract",
        description="Protect LLM APIs from extraction by distillation. Every command reads "
        "the same ANTIEXTRACT_* environment variables as the middleware.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run a protected fake model server under normal and abusive traffic",
        description="Start the example OpenAI-compatible server behind the middleware on "
        "a loopback port, drive ordinary users, a flooding account and a chatty script at "
        "it, and summarise what each got and why.",
    )
    demo.add_argument("--seconds", type=float, default=12.0, help="traffic duration (12)")
    demo.set_defaults(func=_demo)
    proxy = sub.add_parser(
        "proxy",
        help="serve a protecting reverse proxy in front of any model server",
        description="Run a reverse proxy with the middleware in front, so a non-Python model "
        "server (TGI, llama.cpp, Ollama, a cloud upstream) gets the same protection. "
        "Streaming passes both ways; an unreachable upstream answers 502 in the API's format.",
    )
    proxy.add_argument(
        "--upstream", default=None, help="upstream base URL (default: $ANTIEXTRACT_UPSTREAM)"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    proxy.add_argument(
        "--timeout", type=float, default=None, help="upstream timeout in s (600; connect 10)"
    )
    proxy.add_argument("--max-connections", type=int, default=100, help="upstream pool size")
    proxy.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    proxy.set_defaults(func=_proxy)
    config = sub.add_parser("config", help="print the effective configuration (secrets masked)")
    config.add_argument("--json", action="store_true", help="machine-readable output")
    config.set_defaults(func=_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
