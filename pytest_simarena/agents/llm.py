"""The ``llm`` agent: any OpenAI-compatible chat-completions endpoint with tool calling, over the tools.

It works with hosted APIs and local servers (vLLM, Ollama, llama.cpp's server: they all speak
``POST {base_url}/chat/completions`` with ``tools``). One *turn* is a bounded tool-use loop: send the
conversation and the tool definitions (:mod:`pytest_simarena.agents.tools`), run each tool call the
model asks for on the live cluster, send the results back, and stop when the model answers without a
tool call or the turn's budget of tool calls is spent. Every message goes to the transcript (JSON lines,
no wall-clock times, so the same endpoint answers give the same bytes).

HTTP is Python's own ``urllib``: one JSON POST per model call needs no client library, and the policy
then works without any extra installed. Errors are one line each (:class:`LlmError`): no key, an
unreachable endpoint, an HTTP error status with the server's message, a reply that is not a chat
completion.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

from .tools import TOOLS, ToolHost, call_tool, openai_tools

if TYPE_CHECKING:
    from pytest_simarena.settings import AgentSettings

Obj = dict[str, Any]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_MAX_TOOL_CALLS = 20

SYSTEM_PROMPT = """\
You are a Kubernetes SRE agent repairing a workload on a cluster. You act only through the tools.
The cluster's clock is simulated: it stands still while you think and moves only when you call
advance_time or wait_available (or a write rolls pods). Inspect (get_pods, describe, get_events,
top, get_logs), fix (set_resources, scale, apply_action), then wait for the workload to become
Available. Writes are checked by safeguards; a denied write tells you the cap. When the workload is
healthy, or you cannot do more, answer with a one-line summary and no tool call."""


class LlmError(SimArenaError):
    """The chat endpoint could not be used (no key, unreachable, HTTP error, a reply of the wrong shape)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmConfig:
    """Where the model is and how long a turn may run.

    ``api_key`` wins over the environment variable named by ``api_key_env``. Local servers that ignore
    the key still need one set (any text), so a forgotten key is never silently sent as empty.
    """

    base_url: str = DEFAULT_BASE_URL
    model: str = ""
    api_key: str | None = None
    api_key_env: str = DEFAULT_KEY_ENV
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    timeout: float = 60.0
    temperature: float = 0.0

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> LlmConfig:
        """From the settings table's llm rows (``--simarena-llm-model``, ``SIMARENA_LLM_MODEL``, ...)."""
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model or "",
            api_key_env=settings.llm_api_key_env,
            max_tool_calls=settings.llm_max_tool_calls,
        )

    def key(self) -> str:
        """The API key, or an LlmError saying how to set it."""
        key = self.api_key or os.environ.get(self.api_key_env, "")
        if not key:
            raise LlmError(
                f"llm policy: no API key: set the environment variable {self.api_key_env} "
                "(any text for a local server that ignores it)"
            )
        return key

    def check(self) -> None:
        """Fail early, with one line, on a config that cannot work."""
        if not self.model:
            raise LlmError(
                "llm policy: no model name: set the llm_model setting "
                "(--llm-model, --simarena-llm-model or SIMARENA_LLM_MODEL)"
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise LlmError(f"llm policy: base url {self.base_url!r}: expected http://... or https://...")
        if self.max_tool_calls < 1:
            raise LlmError(f"llm policy: max_tool_calls={self.max_tool_calls!r}: expected at least 1")
        self.key()


class ChatClient:
    """``POST {base_url}/chat/completions``; returns the first choice's message."""

    def __init__(self, config: LlmConfig) -> None:
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"

    def complete(self, messages: list[Obj], tools: list[Obj]) -> Obj:
        body = {
            "model": self.config.model,
            "messages": messages,
            "tools": tools,
            "tool_choice": "auto",
            "temperature": self.config.temperature,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.config.key()}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _error_message(exc.read())
            raise LlmError(f"llm policy: {self.url} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LlmError(f"llm policy: cannot reach {self.url}: {reason}") from None
        try:
            reply = json.loads(raw)
            message = reply["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmError(
                f"llm policy: {self.url} did not answer a chat completion (first bytes: {raw[:120]!r})"
            ) from None
        if not isinstance(message, dict):
            raise LlmError(f"llm policy: {self.url}: choices[0].message is not an object")
        return message


def _tool_calls(message: Obj, url: str) -> list[Obj]:
    """The reply's tool calls, checked for the shape the loop relies on (else one LlmError line)."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list) or not all(
        isinstance(c, dict) and isinstance(c.get("function"), dict) for c in calls
    ):
        raise LlmError(
            f"llm policy: {url}: tool_calls is not a list of {{id, function: {{name, arguments}}}}"
        )
    return calls


def _error_message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    except ValueError:
        pass
    return raw[:200].decode("utf-8", "replace").strip() or "(empty body)"


@dataclass
class LlmAgent:
    """A conversation with the model over the tools; :meth:`turn` runs one bounded tool-use loop."""

    config: LlmConfig
    task: str
    client: ChatClient | None = None
    messages: list[Obj] = field(default_factory=list)
    transcript: list[Obj] = field(default_factory=list)
    on_record: Callable[[Obj], None] | None = None
    _turn: int = 0

    def __post_init__(self) -> None:
        self.config.check()
        if self.client is None:
            self.client = ChatClient(self.config)
        self._add({"role": "system", "content": SYSTEM_PROMPT})
        self._add({"role": "user", "content": self.task})

    def _add(self, message: Obj, **extra: Any) -> None:
        self.messages.append(message)
        record = {"turn": self._turn, **message, **extra}
        self.transcript.append(record)
        if self.on_record is not None:
            self.on_record(record)

    def turn(self, host: ToolHost, observation: str | None = None) -> int:
        """One tool-use loop on ``host``; ``observation`` (if any) is sent first as a user message.

        Returns the number of tool calls made. Raises LlmError when the endpoint fails.
        """
        assert self.client is not None
        if observation is not None and self._turn > 0:
            self._add({"role": "user", "content": observation})
        calls = 0
        tools = openai_tools(TOOLS)
        while True:
            message = self.client.complete(self.messages, tools)
            tool_calls = _tool_calls(message, self.client.url)
            kept: Obj = {"role": "assistant", "content": message.get("content")}
            if tool_calls:
                kept["tool_calls"] = tool_calls
            self._add(kept)
            if not tool_calls:
                break
            for call in tool_calls:
                function = call["function"]
                name = str(function.get("name", ""))
                call_id = str(call.get("id", ""))
                if calls >= self.config.max_tool_calls:
                    text, is_error = (
                        f"budget spent: at most {self.config.max_tool_calls} tool calls per turn",
                        True,
                    )
                else:
                    result = call_tool(host, name, function.get("arguments"))
                    text, is_error = result.text, result.is_error
                    calls += 1
                self._add(
                    {"role": "tool", "tool_call_id": call_id, "content": text}, name=name, isError=is_error
                )
            if calls >= self.config.max_tool_calls:
                break
        self._turn += 1
        return calls
