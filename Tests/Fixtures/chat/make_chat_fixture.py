"""Renders the end-to-end tests' conversations with plain jinja2, set up as
transformers' render_jinja_template sets it up (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, tojson as json.dumps with
ensure_ascii=False, raise_exception and strftime_now globals), and writes
conversations.json: each entry's messages, options and the expected prompt.

    python3 make_chat_fixture.py   # needs jinja2 (3.1.6 was used)
"""
import json
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)

SMOL = "../chat-templates/templates/HuggingFaceTB-SmolLM2-135M-Instruct.jinja"
QWEN = "../chat-templates/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
# Keys in sorted order: the tests send requests with sorted keys, and the
# template prints the tools with tojson in the order given.
TOOLS = [{"function": {"description": "Weather of a city", "name": "get_weather",
                       "parameters": {"properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"}},
          "type": "function"}]

conversations = [
    {"name": "smollm2", "template": SMOL, "tools": None,
     "messages": [{"role": "system", "content": "You answer with license text."},
                  {"role": "user", "content": "What does the license say about copies?"},
                  {"role": "assistant", "content": "It says: Everyone is permitted to copy"},
                  {"role": "user", "content": "And about warranty? Ünïcode too."}]},
    {"name": "qwen-tools", "template": QWEN, "tools": TOOLS,
     "messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
                      "name": "get_weather", "arguments": {"city": "Paris"}}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "22 C"},
                  {"role": "user", "content": "And in Rome?"}]},
]

out = []
for c in conversations:
    template = env.from_string(open(c["template"], encoding="utf-8").read())
    messages = [{k: v for k, v in m.items() if v is not None} for m in c["messages"]]
    prompt = template.render(messages=messages, tools=c["tools"], documents=None, add_generation_prompt=True,
                             bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>")
    out.append({"name": c["name"], "template": c["template"].split("/")[-1], "messages": c["messages"],
                "tools": c["tools"], "prompt": prompt})
with open("conversations.json", "w", encoding="utf-8") as f:
    json.dump({"generator": "make_chat_fixture.py, jinja2 " + jinja2.__version__, "conversations": out}, f,
              ensure_ascii=False, indent=1)
