"""The official `openai` and `anthropic` Python clients against a running
`pocket serve`: chat (whole and streamed), tools, Responses (whole and
streamed), embeddings, Anthropic messages (whole, streamed, tools,
count_tokens) and a bad request each. Prints one JSON object with what the
clients returned; the TypeScript test (pythonClients.test.ts) checks it.

usage: python3 clients.py <base-url> <chat-model> <embedding-model>
"""

import json
import sys

import anthropic
import openai

base, chat_model, embed_model = sys.argv[1], sys.argv[2], sys.argv[3]
oa = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
an = anthropic.Anthropic(base_url=base, api_key="unused", max_retries=0)
out = {}
user = [{"role": "user", "content": "Name a color."}]
weather = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}

# --- openai: chat ---------------------------------------------------------
r = oa.chat.completions.create(
    model=chat_model, messages=user, max_tokens=8, temperature=0
)
out["chat"] = {
    "text": r.choices[0].message.content,
    "finish_reason": r.choices[0].finish_reason,
    "completion_tokens": r.usage.completion_tokens,
    "object": r.object,
}
text, usage = "", None
for c in oa.chat.completions.create(
    model=chat_model,
    messages=user,
    max_tokens=8,
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
):
    if c.choices:
        text += c.choices[0].delta.content or ""
    if c.usage:
        usage = c.usage.completion_tokens
out["chat_stream"] = {"text": text, "completion_tokens": usage}

r = oa.chat.completions.create(
    model=chat_model,
    messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    max_tokens=64,
    temperature=0,
    tools=[
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": weather},
        }
    ],
    tool_choice="required",
)
call = r.choices[0].message.tool_calls[0]
out["chat_tools"] = {
    "finish_reason": r.choices[0].finish_reason,
    "name": call.function.name,
    "arguments": json.loads(call.function.arguments),
    "id": call.id,
}

# --- openai: responses ----------------------------------------------------
r = oa.responses.create(
    model=chat_model, input="Name a color.", max_output_tokens=8, temperature=0
)
out["responses"] = {
    "text": r.output_text,
    "status": r.status,
    "output_tokens": r.usage.output_tokens,
    "id": r.id,
}
follow = oa.responses.create(
    model=chat_model,
    input="And another one?",
    previous_response_id=r.id,
    max_output_tokens=4,
    temperature=0,
)
out["responses_follow"] = {"input_tokens": follow.usage.input_tokens}
types, text, final = [], "", None
with oa.responses.stream(
    model=chat_model, input="Name a color.", max_output_tokens=8, temperature=0
) as stream:
    for e in stream:
        types.append(e.type)
        if e.type == "response.output_text.delta":
            text += e.delta
        # Cut off by max_output_tokens the stream ends with
        # response.incomplete, which get_final_response() does not accept.
        if e.type in ("response.completed", "response.incomplete"):
            final = e.response
out["responses_stream"] = {
    "types": types,
    "text": text,
    "final_text": final.output_text,
    "final_status": final.status,
}
r = oa.responses.create(
    model=chat_model,
    input="What is the weather in Paris?",
    max_output_tokens=64,
    temperature=0,
    tools=[{"type": "function", "name": "get_weather", "parameters": weather}],
    tool_choice="required",
)
calls = [i for i in r.output if i.type == "function_call"]
out["responses_tools"] = {
    "name": calls[0].name,
    "arguments": json.loads(calls[0].arguments),
}

# --- openai: embeddings ---------------------------------------------------
e = oa.embeddings.create(model=embed_model, input=["hello", "world"])
out["embeddings"] = {
    "count": len(e.data),
    "dims": len(e.data[0].embedding),
    "first": e.data[0].embedding[:4],
    "prompt_tokens": e.usage.prompt_tokens,
}

# --- openai: a bad request is an APIError with the server's fields --------
try:
    oa.chat.completions.create(
        model=chat_model, messages=user, max_tokens=8, extra_body={"max_token": 8}
    )
    out["openai_error"] = None
except openai.BadRequestError as err:
    out["openai_error"] = {
        "status": err.status_code,
        "param": err.param,
        "code": err.code,
    }

# --- anthropic ------------------------------------------------------------
# The current Messages API has no `temperature` (older versions did; the
# server still takes it), so greedy decoding goes in as an extra field.
greedy = {"temperature": 0}
m = an.messages.create(
    model=chat_model, max_tokens=8, messages=user, extra_body=greedy
)
out["messages"] = {
    "text": "".join(b.text for b in m.content if b.type == "text"),
    "stop_reason": m.stop_reason,
    "output_tokens": m.usage.output_tokens,
}
with an.messages.stream(
    model=chat_model, max_tokens=8, messages=user, extra_body=greedy
) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
out["messages_stream"] = {"text": text, "stop_reason": final.stop_reason}
m = an.messages.create(
    model=chat_model,
    max_tokens=64,
    extra_body=greedy,
    messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    tools=[{"name": "get_weather", "input_schema": weather}],
    tool_choice={"type": "any"},
)
uses = [b for b in m.content if b.type == "tool_use"]
out["messages_tools"] = {
    "stop_reason": m.stop_reason,
    "name": uses[0].name,
    "input": uses[0].input,
}
out["count_tokens"] = an.messages.count_tokens(
    model=chat_model, messages=user
).input_tokens
try:
    an.messages.create(model=chat_model, max_tokens=-1, messages=user)
    out["anthropic_error"] = None
except anthropic.BadRequestError as err:
    out["anthropic_error"] = {
        "status": err.status_code,
        "type": err.body["error"]["type"] if isinstance(err.body, dict) else None,
    }

print(json.dumps(out))
