"""LM Studio's Python SDK (`lmstudio` from PyPI) against a running
`pocket serve`, over the same websocket protocol as `@lmstudio/sdk`:
list_downloaded_models, llm.model() with load progress, respond (whole
and streamed, with prompt-processing progress), structured output from a
JSON schema, tokenize / context length, act() with a tool, unload, and
embedding.model().embed(). Prints one JSON object; pythonClients.test.ts
checks it.

usage: python3 lmstudio_client.py <host:port> <chat-model> <embedding-model>
"""

import json
import sys

import lmstudio as lms

host, chat_model, embed_model = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
greedy = {"maxTokens": 8, "temperature": 0}

with lms.Client(host) as client:
    out["downloaded"] = sorted(m.model_key for m in client.list_downloaded_models())
    load = []
    model = client.llm.model(chat_model, on_load_progress=load.append)
    out["load_progress"] = load
    out["identifier"] = model.identifier

    prompt = []
    r = model.respond(
        "Name a color.", config=greedy, on_prompt_processing_progress=prompt.append
    )
    out["respond"] = {
        "text": r.content,
        "stop_reason": r.stats.stop_reason,
        "predicted": r.stats.predicted_tokens_count,
        "prompt_progress": prompt,
    }
    stream = model.respond_stream("Name a color.", config=greedy)
    fragments = [f.content for f in stream]
    out["respond_stream"] = {"fragments": fragments, "text": stream.result().content}

    person = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 20},
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
        },
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    r = model.respond(
        "Invent a person.",
        response_format=person,
        config={"maxTokens": 60, "temperature": 0},
    )
    out["structured"] = r.parsed

    out["context_length"] = model.get_context_length()
    out["tokens"] = len(model.tokenize("Hello world"))

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    messages = []
    act = model.act(
        "What is 2 + 3?",
        [add],
        config={"maxTokens": 48, "temperature": 0},
        on_message=lambda m: messages.append(type(m).__name__),
    )
    out["act"] = {"rounds": act.rounds, "messages": messages}

    model.unload()
    out["loaded_after_unload"] = [m.identifier for m in client.llm.list_loaded()]

    embedder = client.embedding.model(embed_model)
    out["embedding"] = list(embedder.embed("hello world"))[:4]
    out["embedding_dims"] = len(embedder.embed("hello world"))

print(json.dumps(out))
