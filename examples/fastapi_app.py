"""A FastAPI model endpoint protected with one line: ``app.add_middleware(AntiExtractMiddleware)``.

Configured only by ``ANTIEXTRACT_*`` environment variables. Run it with
``uvicorn examples.fastapi_app:app --port 8000``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from antiextract import AntiExtractMiddleware

app = FastAPI(title="my model server")
app.add_middleware(AntiExtractMiddleware)


@app.post("/v1/chat/completions")
async def chat(request: Request) -> dict:
    body = await request.json()
    prompt = body["messages"][-1]["content"]
    answer = f"You said: {prompt[:40]}"
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "m"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": len(prompt.split()),
            "completion_tokens": 3,
            "total_tokens": len(prompt.split()) + 3,
        },
    }


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}
