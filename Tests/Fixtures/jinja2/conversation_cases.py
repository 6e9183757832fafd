"""Conversations (not in the golden corpus) rendered with each real template by make_expectations.py."""

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city.",
           "parameters": {"type": "object", "properties": {
               "city": {"type": "string", "description": "City name, e.g. Zürich"},
               "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit"},
               "days": {"type": "integer", "description": "Forecast days", "default": 1}},
               "required": ["city"]}}}
SEARCH = {"type": "function", "function": {"name": "search", "description": "Search the web.",
          "parameters": {"type": "object", "properties": {
              "query": {"type": "string"},
              "filters": {"type": "array", "items": {"type": "string"}, "description": "Filters"},
              "options": {"type": "object", "properties": {"safe": {"type": "boolean"}, "limit": {"type": "number"}}}},
              "required": ["query", "filters"]}}}
NOARGS = {"type": "function", "function": {"name": "now", "description": "Current time.",
          "parameters": {"type": "object", "properties": {}}}}


def call(i, name, args):
    return {"id": f"call{i:05d}", "type": "function", "function": {"name": name, "arguments": args}}


def conversations():
    yield "long_multi_turn", {"messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "One"}, {"role": "assistant", "content": "1"},
        {"role": "user", "content": "Two"}, {"role": "assistant", "content": "2"},
        {"role": "user", "content": "Three"}, {"role": "assistant", "content": "3"},
        {"role": "user", "content": "Four?"}]}
    yield "no_system_two_turns", {"messages": [
        {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4."},
        {"role": "user", "content": "And 3+3?"}]}
    yield "whitespace_content", {"messages": [
        {"role": "system", "content": "  padded system  \n"},
        {"role": "user", "content": "\n\nleading newlines and trailing spaces   "},
        {"role": "assistant", "content": " \t reply with tab\n"},
        {"role": "user", "content": ""}]}
    yield "special_characters", {"messages": [
        {"role": "user", "content": "Quotes ' \" backslash \\ braces {{ x }} {% y %} <tag> & emoji 😀 and \u2028 separator"},
        {"role": "assistant", "content": "JSON: {\"a\": [1, 2]} and jinja {# c #}"},
        {"role": "user", "content": "Ω≈ç√∫˜µ ≤≥÷ 中文 العربية"}]}
    yield "parallel_tool_calls", {"tools": [WEATHER, SEARCH], "messages": [
        {"role": "system", "content": "Use tools when helpful."},
        {"role": "user", "content": "Weather in Paris and Rome, and search news."},
        {"role": "assistant", "content": "", "tool_calls": [
            call(1, "get_weather", {"city": "Paris", "unit": "celsius"}),
            call(2, "get_weather", {"city": "Rome", "days": 3}),
            call(3, "search", {"query": "news", "filters": ["today"], "options": {"safe": True, "limit": 5}})]},
        {"role": "tool", "tool_call_id": "call00001", "name": "get_weather", "content": "{\"temp\": 21}"},
        {"role": "tool", "tool_call_id": "call00002", "name": "get_weather", "content": "{\"temp\": 25.5}"},
        {"role": "tool", "tool_call_id": "call00003", "name": "search", "content": "[\"headline\"]"},
        {"role": "assistant", "content": "Paris 21°C, Rome 25.5°C; headline."},
        {"role": "user", "content": "Thanks"}]}
    yield "tool_no_arguments", {"tools": [NOARGS], "messages": [
        {"role": "user", "content": "What time is it?"},
        {"role": "assistant", "content": "", "tool_calls": [call(9, "now", {})]},
        {"role": "tool", "tool_call_id": "call00009", "name": "now", "content": "12:00"}]}
    yield "tools_without_calls", {"tools": [WEATHER, SEARCH, NOARGS], "messages": [
        {"role": "user", "content": "Just chat, no tools needed."}]}
    yield "assistant_last", {"messages": [
        {"role": "user", "content": "Start a story."}, {"role": "assistant", "content": "Once upon a time"}]}
    yield "system_only", {"messages": [{"role": "system", "content": "Only a system prompt."}]}
    yield "thinking_history", {"kwargs": {"enable_thinking": True}, "messages": [
        {"role": "user", "content": "Solve x+1=3"},
        {"role": "assistant", "content": "<think>\nSubtract 1.\n</think>\n\nx = 2", "reasoning_content": "Subtract 1."},
        {"role": "user", "content": "Now x+2=5"}]}
    yield "multiple_system_messages", {"messages": [
        {"role": "system", "content": "First system."}, {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Second system mid-conversation."}, {"role": "user", "content": "Again"}]}
    yield "content_parts_multi", {"messages": [
        {"role": "user", "content": [{"type": "text", "text": "Part one. "}, {"type": "text", "text": "Part two."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Reply part."}]},
        {"role": "user", "content": [{"type": "text", "text": "Last."}]}]}
    # The same, as a request reaches a template that does not loop over content: each
    # message's text parts joined by "\n" (vLLM's "string" content format).
    yield "content_parts_joined", {"messages": [
        {"role": "user", "content": "Part one. \nPart two."},
        {"role": "assistant", "content": "Reply part."},
        {"role": "user", "content": "Last."}]}
    yield "tool_string_arguments", {"tools": [WEATHER], "messages": [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [call(4, "get_weather", "{\"city\": \"Oslo\"}")]},
        {"role": "tool", "tool_call_id": "call00004", "content": "cold"}]}
    yield "developer_role", {"messages": [
        {"role": "developer", "content": "Developer instructions."}, {"role": "user", "content": "Hello"}]}
    yield "numbers_and_unicode_tools", {"tools": [{"type": "function", "function": {
        "name": "convert", "description": "Convert 1.5e3 units – très bien",
        "parameters": {"type": "object", "properties": {"value": {"type": "number", "minimum": -1.0e-5, "maximum": 1e16},
                                                         "exact": {"type": "integer", "default": 0}},
                       "required": ["value"]}}}],
        "messages": [{"role": "user", "content": "Convert 1500"},
                     {"role": "assistant", "content": "", "tool_calls": [call(5, "convert", {"value": 1500.0, "exact": 1})]},
                     {"role": "tool", "tool_call_id": "call00005", "name": "convert", "content": "1.5 k"}]}
    yield "reasoning_effort_kwargs", {"kwargs": {"reasoning_effort": "high", "builtin_tools": ["python"], "enable_thinking": False},
                                      "messages": [{"role": "user", "content": "Think hard."}]}
