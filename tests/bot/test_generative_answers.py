"""The optional written answer: with OMNIDESK_LLM_URL set, the bot asks a real local
server speaking the OpenAI chat-completions protocol, and cites the articles."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.django_db


WRITTEN = "Open the sign-in page and choose Forgot password? [1]"


class ChatCompletions(BaseHTTPRequestHandler):
    requests: list[dict] = []
    reply = WRITTEN

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        payload = json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": type(self).reply},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def llm_server(settings):
    ChatCompletions.requests, ChatCompletions.reply = [], WRITTEN
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OMNIDESK_LLM_URL = f"http://127.0.0.1:{server.server_port}"
    yield ChatCompletions
    server.shutdown()
    server.server_close()


def test_answer_is_written_by_the_server_from_the_retrieved_passages(customer, llm_server):
    customer.says("I can't log in, forgot my credentials")
    [answer] = customer.bot_messages()
    assert answer.startswith("Open the sign-in page and choose Forgot password? [1]")
    assert "[1] http://" in answer and "/help/en/reset-password/" in answer
    assert "Did that solve it?" in answer
    [request] = llm_server.requests
    assert request["path"] == "/v1/chat/completions"
    prompt = request["body"]["messages"][-1]["content"]
    assert "Reset your password" in prompt
    assert "forgot my credentials" in prompt


def test_an_unknown_from_the_server_falls_back_to_the_extractive_answer(customer, llm_server):
    llm_server.reply = "UNKNOWN"
    customer.says("I can't log in, forgot my credentials")
    [answer] = customer.bot_messages()
    assert answer.startswith("This article should help: Reset your password")
