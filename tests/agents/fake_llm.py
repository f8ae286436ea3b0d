"""A local OpenAI-compatible chat-completions endpoint that replays scripted replies over real HTTP.

No model is reachable from the test machines, so the LLM policy is tested against this: a real HTTP
server on 127.0.0.1 that checks the bearer key, records every request body, and answers each POST to
``/v1/chat/completions`` with the next scripted assistant message (tool calls or a final text).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Obj = dict[str, Any]


def tool_call(call_id: str, tool: str, /, **arguments: Any) -> Obj:
    """One scripted tool call, as a chat model sends it (arguments as JSON text)."""
    return {"id": call_id, "type": "function", "function": {"name": tool, "arguments": json.dumps(arguments)}}


def calls(*items: Obj) -> Obj:
    return {"role": "assistant", "content": None, "tool_calls": list(items)}


def say(text: str) -> Obj:
    return {"role": "assistant", "content": text}


class FakeChat:
    """The endpoint's state: the script, the expected key, the requests received."""

    def __init__(self, script: Sequence[Obj], *, key: str) -> None:
        self.script = list(script)
        self.key = key
        self.requests: list[Obj] = []
        self.url = ""


def _handler(chat: FakeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Obj) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            if self.headers.get("Authorization") != f"Bearer {chat.key}":
                self._send(401, {"error": {"message": "Incorrect API key provided"}})
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            chat.requests.append(body)
            if not chat.script:
                self._send(500, {"error": {"message": "the script has no more replies"}})
                return
            message = chat.script.pop(0)
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            self._send(
                200,
                {
                    "id": f"chatcmpl-{len(chat.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                },
            )

    return Handler


@contextmanager
def fake_chat(script: Sequence[Obj], *, key: str = "test-key") -> Iterator[FakeChat]:
    """Serve ``script`` on 127.0.0.1 (a free port); ``chat.url`` is the base URL (``.../v1``)."""
    chat = FakeChat(script, key=key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(chat))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    chat.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield chat
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
