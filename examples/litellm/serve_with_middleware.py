"""LiteLLM's proxy with antiextract inside it, as an ASGI middleware.

LiteLLM has no setting that adds an ASGI middleware, but its proxy is the FastAPI app
``litellm.proxy.proxy_server.app``, and Starlette freezes an app's middleware stack only
when the app first runs. So this script imports the app, adds the middleware (outermost:
it sees each request before LiteLLM's auth and routing) and serves it with uvicorn. The
model list comes from the YAML named by ``CONFIG_FILE_PATH``, which LiteLLM reads at
start-up exactly as for ``litellm --config``. antiextract reads its ``ANTIEXTRACT_*``
variables; LiteLLM its own (``LITELLM_MASTER_KEY``, ...).

Run: python examples/litellm/serve_with_middleware.py --config examples/litellm/config.yaml
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="LiteLLM proxy config (YAML)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4000)
    args = parser.parse_args()
    os.environ["CONFIG_FILE_PATH"] = os.path.abspath(args.config)

    import uvicorn
    from litellm.proxy.proxy_server import app

    from antiextract import AntiExtractMiddleware

    app.add_middleware(AntiExtractMiddleware)
    uvicorn.run(app, host=args.host, port=args.port, server_header=False)


if __name__ == "__main__":
    main()
