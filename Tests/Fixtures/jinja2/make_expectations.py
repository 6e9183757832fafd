#!/usr/bin/env python3
"""Generate expectations for ChatTemplateTests by rendering small templates with real jinja2,
set up exactly as transformers' render_jinja_template does (the same environment as
../chat-templates/check_goldens.py). Not run in CI: CI installs no jinja2.

    python3 -m venv venv && venv/bin/pip install jinja2 && venv/bin/python make_expectations.py

Writes features.json (one case per jinja2 feature: template, context, expected output or the
error jinja2 raised) and conversations.json (the 26 real templates of ../chat-templates, with the
special tokens of their golden cases, over conversations that are not in the golden corpus; each
conversation has messages and optionally tools, documents and kwargs).
"""
import itertools
import json
import locale
import re
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
PINNED = datetime(2026, 7, 26, 0, 0, 0)
sys.path.insert(0, HERE)
from feature_cases import feature_cases  # noqa: E402
from conversation_cases import conversations  # noqa: E402


class Generation(jinja2.ext.Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: PINNED.strftime(fmt)
    env.globals["dict"] = dict
    return env


def render(env, source, context):
    try:
        # The address in a method's repr differs from run to run; the Swift engine prints none.
        return {"expected": re.sub(r" at 0x[0-9a-f]+>", ">", env.from_string(source).render(**context))}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error_type": "TemplateSyntaxError", "error": e.message}
    except RecursionError:
        return {"error_type": "RecursionError", "error": "maximum recursion depth exceeded"}
    except Exception as e:  # noqa: BLE001
        kind = type(e).__name__
        if type(e) is jinja2.exceptions.TemplateError:
            kind = "raise_exception"
        return {"error_type": kind, "error": str(e)}


def main():
    locale.setlocale(locale.LC_ALL, "C")
    env = make_env()
    generator = {"script": "make_expectations.py", "python": sys.version.split()[0], "jinja2": jinja2.__version__}

    features = []
    for name, source, context in feature_cases():
        features.append({"name": name, "template": source, "context": context, **render(env, source, context)})
    with open(os.path.join(HERE, "features.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": generator, "cases": features}, f, ensure_ascii=False, indent=1)

    corpus = os.path.join(HERE, "..", "chat-templates")
    goldens = json.load(open(os.path.join(corpus, "goldens.json"), encoding="utf-8"))
    talks = dict(conversations())
    tokens_of = {}
    cases = []
    for template_name, info in goldens["templates"].items():
        source = open(os.path.join(corpus, info["file"]), encoding="utf-8").read()
        first = next(c for c in goldens["cases"] if c["template"] == template_name)
        tokens = {k: first[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if first[k] is not None}
        tokens_of[template_name] = tokens
        for conversation_name, conversation in talks.items():
            for agp in (True, False):
                variables = {"messages": conversation["messages"], "tools": conversation.get("tools"),
                             "documents": conversation.get("documents"), "add_generation_prompt": agp}
                variables.update(tokens)
                variables.update(conversation.get("kwargs", {}))
                result = render(env, source, variables)
                if result.get("error_type") == "raise_exception":
                    result = {"error": result["error"], "error_type": "TemplateError", "error_from_raise_exception": True}
                elif "error_type" in result:
                    result["error_from_raise_exception"] = False
                cases.append({"template": template_name, "conversation": conversation_name,
                              "add_generation_prompt": agp, **result})
    with open(os.path.join(HERE, "conversations.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": generator, "special_tokens": tokens_of, "conversations": talks, "cases": cases},
                  f, ensure_ascii=False, indent=1)
    print(f"{len(features)} feature cases, {len(cases)} conversation cases")


if __name__ == "__main__":
    main()
