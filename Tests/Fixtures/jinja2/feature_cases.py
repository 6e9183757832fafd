"""The feature cases rendered by make_expectations.py: (name, template, context)."""
import itertools

MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City"},
                                                          "days": {"type": "integer"}},
                         "required": ["city"]}}}]


def whitespace_matrix():
    befores = ["", "a", "  ", "a  ", "\n  ", "a\n  ", "a\n\t \n ", "\n"]
    afters = ["", "b", "\n", "\nb", "  \nb", " b", "\n\n"]
    tags = {"block": ("{%{l} if true {r}%}X{%{l} endif {r}%}"),
            "print": ("{{{l} 'X' {r}}}"),
            "comment": ("{#{l} note {r}#}"),
            "set": ("{%{l} set x = 1 {r}%}")}
    for (tag, pattern), left, right in itertools.product(tags.items(), ["", "-", "+"], ["", "-", "+"]):
        if tag == "print" and (left == "+" or right == "+"):
            continue
        body = pattern.replace("{l}", left).replace("{r}", right)
        for i, (before, after) in enumerate(itertools.product(befores, afters)):
            yield f"ws-{tag}-{left or '0'}{right or '0'}-{i}", before + body + after, {}


def cases():
    c = []

    def add(name, template, context=None):
        c.append((name, template, context or {}))

    # Whitespace in realistic nesting, raw blocks, trailing newline handling.
    add("ws-nested", "{% for m in messages %}\n  {% if m.role == 'user' %}\n    U:{{ m.content }}\n  {% else %}\n    O:{{ m.content }}\n  {% endif %}\n{% endfor %}\n", {"messages": MSGS})
    add("ws-nested-dash", "{%- for m in messages -%}\n  {%- if m.role == 'user' %}\n    U:{{ m.content }}\n  {%- endif %}\n{% endfor -%}\nend\n", {"messages": MSGS})
    add("ws-trailing-newline-kept-once", "a\n\n", {})
    add("ws-crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc\rd", {})
    add("ws-raw", "{% raw %}{{ not rendered }}{% endraw %}|{%- raw -%}  x  {%- endraw -%}  |", {})
    add("ws-raw-lstrip", "a\n    {% raw %}\n{{ x }}\n    {% endraw %}\nb", {})
    add("ws-comment-multiline", "a\n  {# one\n two #}\nb\n  {#- x -#}  \nc", {})
    add("ws-plus-variable", "a  {{+ 'x' }}", {})
    add("ws-lstrip-after-print", "{{ 'a' }}  {% if true %}b{% endif %}", {})
    add("ws-lstrip-tabs", "x\n\t\t{% if true %}\n\tyes\n\t\t{% endif %}\ny", {})
    add("ws-unicode-space", "a\u3000{%- if true %}b{% endif %}\u00a0 {{- 'c' -}} \u2028d", {})
    add("ws-minus-strips-newlines", "a\n\n   \n{{- 'b' -}}\n\n  c", {})
    add("ws-generation", "{% generation %}  g {{ 1 }}\n{% endgeneration %}x", {})

    # Printing Python values.
    for i, expr in enumerate(["1.0", "1e-05", "1e16", "1e15", "-0.0", "0.1 + 0.2", "1 / 3", "2 ** 0.5", "1e308 * 10",
                              "-1e308 * 10", "123456789.123", "1e-7", "0.0001", "9999999999999998.0", "1e22",
                              "2.5e-5", "100.0", "1.5e300", "7 / 2", "10 / 2", "-7 // 2", "-7 % 3", "7 % -3",
                              "-7.5 // 2", "-7.5 % 2", "2 ** 10", "2 ** -1", "2 ** 62", "3 * 1.5", "True + 1",
                              "1_000", "0x1F", "0o17", "0b101", "1_0.5", "5e3"]):
        add(f"print-number-{i}", "{{ " + expr + " }}")
    add("print-constants", "{{ none }} {{ None }} {{ true }} {{ True }} {{ false }} {{ False }}")
    add("print-containers", "{{ [1, 'a', none, true, 1.5, [2]] }} {{ {'a': 1, 'b': [none]} }} {{ (1,) }} {{ () }} {{ (1, 'x') }} {{ [] }} {{ {} }}")
    add("print-string-repr", "{{ ['it\\'s', \"q\\\"x\", 'both\\'\"', 'tab\\tnl\\n', '\\x00\\x7f', 'é€😀', '\\u00a0\\u200b'] }}")
    add("print-nested-dict-from-context", "{{ tool }}", {"tool": TOOLS[0]})
    add("print-string-escapes", "{{ 'a\\nb\\tc\\\\d\\x41\\u00e9\\U0001F600\\101\\'\\\"\\q' }}")
    add("print-adjacent-strings", "{{ 'a' \"b\" 'c' }}")
    add("print-unicode-data", "Grüße, 世界 {{ 'ü' }} ✓")

    # Operators and precedence.
    for i, expr in enumerate(["1 + 2 * 3", "(1 + 2) * 3", "-2 ** 2", "2 ** 3 ** 2", "not 1 == 2", "1 < 2 < 3", "3 > 2 > 2",
                              "'a' ~ 1 ~ none", "1 ~ 2 + 3", "[1, 2] + [3]", "'ab' * 3", "3 * 'ab'", "[0] * 3", "'x' * -1",
                              "1 and 'yes'", "0 and 'yes'", "0 or 'no'", "'' or none", "none or []", "1 if true else 2",
                              "1 if false else 2", "1 if false", "'a' in 'cat'", "'z' not in 'cat'", "1 in [1, 2]",
                              "'k' in {'k': 1}", "(1, 2) == (1, 2)", "[1, 2] == (1, 2)", "1 == 1.0", "True == 1",
                              "'a' < 'b'", "[1, 2] < [1, 3]", "1 != 2", "{'a': 1} == {'a': 1}", "{'a': 1, 'b': 2} == {'b': 2, 'a': 1}",
                              "none == none", "- 3", "+ 3", "- -3", "not not 1", "5 // 2 * 2", "2 * 3 % 4", "1 + -1",
                              "'%s-%d' % ('a', 3)", "'%05.1f|%-4s|%x' % (3.14159, 'ab', 255)", "'%(a)s' % {'a': 1}",
                              "'%r' % 'q'", "'%s' % none", "'%d%%' % 50", "'%.3e' % 12345.678", "'%g' % 0.00001234",
                              "(1, 2) + (3,)", "1 < 2 == 2", "'b' > 'a' and 2 > 1 or 0"]):
        add(f"op-{i}", "{{ " + expr + " }}")
    for i, expr in enumerate(["1 / 0", "1 // 0", "1 % 0", "1.0 / 0", "'a' + 1", "1 + 'a'", "[1] + 'a'", "'a' - 'b'",
                              "'a' < 1", "[1] < 'a'", "none < 1", "1 in 2", "1 in 'abc'", "{[1]: 2}", "'a' * 1.5",
                              "{} < {}", "-'a'"]):
        add(f"op-error-{i}", "{{ " + expr + " }}")

    # Strings: slicing, indexing, methods.
    for i, expr in enumerate(["s[0]", "s[-1]", "s[1:3]", "s[::-1]", "s[::2]", "s[1::3]", "s[-3:]", "s[:-2]", "s[5:1:-1]",
                              "s[100:]", "s[-100:2]", "s[100]", "s[1.5]", "s['x']", "s[None:2]", "s[:]",
                              "s.upper()", "s.lower()", "s.title()", "s.capitalize()", "s.swapcase()",
                              "s.strip()", "s.strip('ab')", "s.lstrip()", "s.rstrip('z ')", "s.split()", "s.split(' ')",
                              "s.split(' ', 1)", "s.split('o')", "s.rsplit(' ', 1)", "s.rsplit(None, 1)", "s.splitlines()",
                              "s.startswith('he')", "s.startswith(('x', ' h'))", "s.endswith('d ')", "s.endswith('l', 0, 5)",
                              "s.replace('l', 'L')", "s.replace('l', 'L', 2)", "s.replace('', '-')", "s.find('o')",
                              "s.rfind('o')", "s.find('zz')", "s.count('l')", "s.index('w')", "s.center(20, '*')",
                              "s.ljust(16, '.')", "s.rjust(16)", "s.zfill(16)", "s.partition(' ')", "s.rpartition('o')",
                              "s.isspace()", "s.isalpha()", "'123'.isdigit()", "'Ab'.istitle()", "'ab'.islower()",
                              "'a,b,,c'.split(',')", "'  a  b  '.split(None, 1)", "'  a  b  '.rsplit(None, 1)",
                              "','.join(['a', 'b'])", "'{} and {}'.format(1, 'x')", "'{0}{1}{0}'.format('a', 'b')",
                              "'{name}!'.format(name='Bob')", "'{:>6}|{:<4}|{:^5}'.format('r', 'l', 'c')",
                              "'{:.2f} {:5d} {:+d} {:,}'.format(3.14159, 42, 7, 1234567)", "'{!r}'.format('x')",
                              "'{0[a]} {1.real}'.format({'a': 5}, 3)", "'{:x} {:o} {:b} {:#x}'.format(255, 8, 5, 255)",
                              "'{{}} {}'.format(1)", "s.removeprefix(' hel')", "s.removesuffix('d ')",
                              "'é😀x'[1]", "'é😀x'|length", "'ab\\ncd\\r\\nef'.splitlines()", "'x'.upper().lower()",
                              "'straße'.upper()", "'ǅ'.lower()", "'hello world'.title()", "\"they're bill's\".title()"]):
        add(f"string-{i}", "{{ " + expr + " }}", {"s": " hello world "})

    # Undefined.
    for i, t in enumerate(["{{ missing }}|", "{{ missing is defined }}", "{{ missing is undefined }}", "{{ missing|default('d') }}",
                           "{{ missing|length }}", "{% for x in missing %}x{% else %}empty{% endfor %}", "{{ missing ~ 'a' }}",
                           "{{ missing == missing }}", "{% if missing %}y{% else %}n{% endif %}", "{{ not missing }}",
                           "{{ d.nope }}|{{ d['nope'] }}|{{ d.nope is defined }}", "{{ d.nope|default('dd') }}",
                           "{{ missing|string }}|{{ missing|lower }}|{{ missing|trim }}", "{{ [missing] }}",
                           "{{ missing.attr }}", "{{ missing['k'] }}", "{{ missing + 1 }}", "{{ missing < 1 }}",
                           "{{ missing() }}", "{{ d.nope.deeper }}", "{{ missing|tojson }}", "{{ missing|join(',') }}",
                           "{{ missing|list }}", "{{ missing|first }}|", "{{ 'a' in missing }}", "{{ missing in [1] }}",
                           "{{ missing|int }} {{ missing|float }}", "{{ (missing or 'x') }}", "{{ missing|items|list }}",
                           "{{ missing|upper }}", "{{ d.get('nope') }}", "{{ d.get('nope', 'fb') }}", "{{ missing|abs }}",
                           "{{ -missing }}", "{{ missing|round }}", "{{ missing is none }}", "{{ missing is string }}",
                           "{{ missing is iterable }}"]):
        add(f"undefined-{i}", t, {"d": {"a": 1}})

    # Attribute and item lookup rules.
    for i, t in enumerate(["{{ d.items }}", "{{ d['items'] }}", "{{ d.keys|length }}", "{{ d.a }}{{ d['a'] }}",
                           "{{ l[0] }}{{ l[-1] }}{{ l.0 }}", "{{ l[5] }}|", "{{ l['x'] }}|", "{{ l[1:] }}{{ l[::-1] }}",
                           "{{ d2['items'] }} {{ d2.values }}", "{{ n.x }}|{{ n['x'] }}|", "{{ t[0] }} {{ t[-1] }} {{ t[1:] }}",
                           "{{ d.get('a') }}", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }}",
                           "{{ d.items() }} {{ d.keys() }}", "{% for k in d %}{{ k }}{% endfor %}",
                           "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{{ d|length }} {{ l|length }}",
                           "{{ 'a' in d.keys() }} {{ 1 in d.values() }} {{ ('a', 1) in d.items() }}",
                           "{{ l.append }}|{{ l.append(4) }}", "{{ d.update({}) }}", "{{ d.pop('a') }}",
                           "{{ ''.__class__ }}|", "{{ l.index(2) }} {{ l.count(1) }}", "{{ (1).real }}",
                           "{{ d|attr('a') }}|{{ d|attr('items') is defined }}", "{{ 3.0.is_integer() }}"]):
        add(f"lookup-{i}", t, {"d": {"a": 1, "b": 2}, "d2": {"items": "it", "values": "vals"}, "l": [1, 2, 3],
                               "n": None, "t": [4, 5, 6]})

    # Filters.
    filters = [
        "{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}", "{{ [1, 2, 3]|length }} {{ 'abc'|count }} {{ {'a': 1}|length }}",
        "{{ [1, 2, 3]|join }} {{ [1, 2, 3]|join(', ') }} {{ [{'a': 1}, {'a': 2}]|join('-', attribute='a') }}",
        "{{ 'abc'|list }} {{ {'a': 1, 'b': 2}|list }} {{ (1, 2)|list }}", "{{ 5|string }} {{ none|string }} {{ [1]|string }}",
        "{{ none|default('x') }} {{ ''|default('x') }} {{ ''|default('x', true) }} {{ 0|d('z', boolean=true) }} {{ x|default }}|",
        "{{ {'b': 1, 'a': 2}|items|list }}", "{{ {'b': 1, 'A': 2, 'a': 3}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }}",
        "{{ {'b': 1, 'A': 2, 'a': 3}|dictsort(true) }} {{ {'b': 1, 'a': 2}|dictsort(reverse=true) }}",
        "{{ users|map(attribute='name')|list }} {{ users|map(attribute='age', default=0)|list }} {{ ['a', 'B']|map('upper')|list }}",
        "{{ users|selectattr('admin')|map(attribute='name')|join(',') }} {{ users|rejectattr('admin')|map(attribute='name')|join(',') }}",
        "{{ users|selectattr('name', 'equalto', 'bo')|list }} {{ users|selectattr('age', 'defined')|list|length }}",
        "{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ [0, 1, '', 'a', none]|select|list }}",
        "{{ [1, 5, 3]|select('gt', 2)|list }} {{ [1, 5, 3]|select('lessthan', 3)|list }} {{ ['a', 'b']|select('in', ['b'])|list }}",
        "{{ [3, 1, 2]|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'A', 'a', 'B']|sort }} {{ ['b', 'A', 'a']|sort(case_sensitive=true) }}",
        "{{ users|sort(attribute='name')|map(attribute='name')|list }} {{ users|sort(attribute='admin,name')|map(attribute='name')|list }}",
        "{{ ['a', 'A', 'b', 'a']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }} {{ users|unique(attribute='admin')|list|length }}",
        "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ 'abc'|last }} {{ []|first }}|{{ []|last }}|",
        "{{ 'hello WORLD'|lower }} {{ 'hello'|upper }} {{ 'hello world-x(y'|title }} {{ 'hELLO there'|capitalize }}",
        "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 1212|replace(1, 3) }}",
        "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '0x1A'|int(0, 16) }} {{ '0b11'|int(base=0) }} {{ 3.99|int }} {{ true|int }}",
        "{{ '1_000'|int }} {{ ' 12 '|int }} {{ '012'|int(base=0) }} {{ '-5'|int }}",
        "{{ '1.5'|float }} {{ 'x'|float }} {{ 'x'|float(2.5) }} {{ 3|float }} {{ '1e3'|float }} {{ 'inf'|float }}",
        "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 2|round }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(1, 'floor') }} {{ -2.5|round }} {{ 1234|round(-2) }}",
        "{{ -3|abs }} {{ -2.5|abs }} {{ [1, 2, 3]|sum }} {{ users|sum(attribute='age') }} {{ [1.5, 2]|sum(start=10) }}",
        "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A']|min }} {{ ['b', 'A']|max(case_sensitive=true) }} {{ users|max(attribute='age') }}",
        "{{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }} {{ (1, 2)|reverse|list }}",
        "{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 'x')|list }} {{ [1, 2, 3, 4, 5]|slice(2)|list }} {{ [1, 2, 3]|slice(2, 0)|list }}",
        "{% for k, g in users|groupby('admin') %}{{ k }}:{{ g|map(attribute='name')|join(',') }};{% endfor %}",
        "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}",
        "{{ 'one two three four'|truncate(9) }}|{{ 'one two three four'|truncate(9, true) }}|{{ 'short'|truncate(9) }}",
        "{{ 'hello there you'|wordcount }} {{ '<b>bold</b>  and <i>it</i>'|striptags }} {{ '<a href=\"x\">&\\'</a>'|escape }}",
        "{{ '%s=%d'|format('a', 3) }} {{ '%(k)s'|format(k='v') }} {{ 'x'|center(5) }}|{{ 'abc'|center(8) }}|",
        "{{ [1, 2]|select('odd') is iterable }} {{ ([1]|select('odd')) is sequence }}",
        "{% set g = [1, 2, 3]|select('odd') %}{{ g|list }}{{ g|list }}",
        "{% if []|select('odd') %}truthy{% endif %}", "{{ [1, 2]|map('string')|join('+') }}",
        "{{ {'a': {'b': 1}}|tojson }} {{ [1, [2, [3]]]|tojson(indent=2) }} {{ {'a': [], 'b': {}}|tojson(indent=1) }}",
        "{{ 'é\"\\\\\\n\\t\\u0000\\u001f\\u007f😀'|tojson }} {{ 'é😀'|tojson(ensure_ascii=true) }}",
        "{{ {'b': 1, 'a': [1.0, 1e16, none, true]}|tojson(sort_keys=true) }} {{ {'a': 1}|tojson(separators=(',', ':')) }}",
        "{{ {1: 'a', none: 'b', true: 'c', 2.5: 'd'}|tojson }} {{ (1, 2)|tojson }} {{ 'x'|tojson(indent='\\t') }} {{ [1]|tojson(indent='--') }}",
        "{{ tool|tojson }}\n{{ tool|tojson(indent=4) }}", "{{ 1e400|tojson }} {{ -1e400|tojson }}",
        "{{ [1]|select('odd')|tojson }}", "{{ {(1, 2): 3}|tojson }}", "{{ x|attr('nope') }}|",
        "{{ users|map(attribute='name')|first }} {{ users|selectattr('admin')|first }}",
        "{{ [1, 2]|map('nosuchfilter')|list }}", "{{ 'x'|nosuchfilter }}", "{% if false %}{{ 'x'|nosuchfilter }}{% endif %}ok", "{{ 1 if true else 'x'|nosuchfilter }}",
        "{% if true %}{% for x in [1] %}{{ x|nosuchfilter }}{% endfor %}{% endif %}", "{% if true %}{{ 'x'|nosuchfilter }}{% endif %}",
        "{% if false %}{% include 'x' %}{% endif %}ok", "{{ [1]|select('nosuchtest')|list }}",
        "{{ 5|length }}", "{{ none|join }}", "{{ 'abc'|batch(2)|list }}", "{{ users[0]|items|list }}",
        "{{ [{'a': [1, 2]}]|map(attribute='a.1')|list }} {{ [[1, 2], [3, 4]]|map(attribute='0')|list }}",
        "{% filter upper %}shout {{ 'this' }}{% endfilter %}", "{% filter trim|upper %}  both  {% endfilter %}|",
        "{% set b | trim %}  captured {{ 1 }}  {% endset %}[{{ b }}]", "{% set b %}x{% endset %}{{ b ~ b }}",
        "{{ [1, 2, 3]|select('divisibleby', 3)|list }} {{ [none, 1]|select('none')|list }} {{ [1, 'a']|select('string')|list }}",
        "{{ users|selectattr('age', 'gt', 30)|map(attribute='name')|list }} {{ users|rejectattr('age', 'undefined')|list|length }}",
        "{{ [1.5, 2]|max }} {{ [2, 1.5, 3]|sort }} {{ [none, 1]|sort }}", "{{ ['10', '9', '100']|sort }}",
        "{{ 'abc'|reverse|upper }} {{ [3, 1]|sort|first }} {{ ['x']|map('tojson')|first }}",
    ]
    users = [{"name": "bo", "age": 40, "admin": True}, {"name": "al", "admin": False}, {"name": "cy", "age": 20, "admin": True}]
    for i, t in enumerate(filters):
        add(f"filter-{i}", t, {"users": users, "tool": TOOLS[0]})

    # Tests.
    tests = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
             "boolean", "true", "false", "callable", "odd", "even", "lower", "upper"]
    values = ["1", "2.0", "'s'", "'S'", "none", "true", "false", "[1]", "{'a': 1}", "(1,)", "range", "missing", "'' ~ ''",
              "dict", "x.nope"]
    for i, (test, value) in enumerate(itertools.product(tests, values)):
        add(f"test-{test}-{i}", "{{ (" + value + ") is " + test + " }}", {"x": {"a": 1}})
    for i, t in enumerate(["{{ 3 is divisibleby 3 }} {{ 4 is divisibleby(3) }}", "{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is == 1 }}",
                           "{{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 1 is le 1 }} {{ 2 is gt 1 }} {{ 2 is ge 3 }} {{ 2 is greaterthan 1 }} {{ 1 is lessthan 0 }}",
                           "{{ 'a' is in 'cat' }} {{ 1 is in [2] }}", "{{ none is sameas none }} {{ true is sameas true }} {{ 1 is not sameas false }}",
                           "{{ 1 is not none }} {{ x is not mapping }}", "{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }}",
                           "{{ 1 is nosuchtest }}", "{{ 'a' is odd }}", "{{ 1 is defined and 2 is even }}",
                           "{{ x.a is number and x.a is not string }}", "{{ 2.0 is odd }} {{ 3.0 is odd }}"]):
        add(f"test-misc-{i}", t, {"x": {"a": 1}})

    # Loops.
    loops = [
        "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
        "{% for x in xs %}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %}",
        "{% for x in xs if x != 'b' %}{{ loop.index }}:{{ x }}:{{ loop.length }}:{{ loop.last }};{% endfor %}",
        "{% for x in xs if x != 'a' %}{{ loop.previtem }}>{{ x }}>{{ loop.nextitem }};{% endfor %}",
        "{% for x in [] %}x{% else %}none{% endfor %}", "{% for x in xs if false %}x{% else %}filtered-out{% endfor %}",
        "{% for x in xs %}{% if x == 'b' %}{% continue %}{% endif %}{{ x }}{% endfor %}",
        "{% for x in xs %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}",
        "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
        "{% for x in [1, 1, 2, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
        "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}", "{% for a, b in [[1, 2], 'xy'] %}{{ a }}{{ b }} {% endfor %}",
        "{% for (a, b), c in [((1, 2), 3)] %}{{ a }}{{ b }}{{ c }}{% endfor %}", "{% for a, b in [(1, 2, 3)] %}{% endfor %}",
        "{% for k, v in {'x': 1, 'y': 2}|dictsort %}{{ k }}{{ v }}{% endfor %}", "{% for c in 'héllo' %}{{ c }}.{% endfor %}",
        "{% for x in xs %}{% for y in [1, 2] %}{{ loop.index }}{{ x }}{% endfor %}|{{ loop.index }}{% endfor %}",
        "{% for x in range(3) %}{{ x }}{% endfor %} {% for x in range(1, 10, 3) %}{{ x }}{% endfor %} {% for x in range(5, 0, -2) %}{{ x }}{% endfor %}",
"{{ range(100001)|length }}", "{% for x in 5 %}{% endfor %}", "{% for x in none %}{% endfor %}",
        "{% for n in tree recursive %}{{ n.name }}{% if n.children %}({{ loop(n.children) }}){% endif %}{% endfor %}",
        "{% for n in tree recursive %}{{ loop.depth }}{{ loop.depth0 }}{% if n.children %}[{{ loop(n.children) }}]{% endif %}{% endfor %}",
        "{% set ns = namespace(seen=0) %}{% for x in [1, 2, 3, 4] if ns.seen < 2 %}{% set ns.seen = ns.seen + 1 %}{{ x }}{% endfor %}",
        "{% set ns = namespace(seen=0) %}{% for x in [1, 2, 3, 4] if ns.seen < 2 %}{% set ns.seen = ns.seen + 1 %}{{ x }}{{ loop.last }}{% endfor %}",
        "{% for x in xs %}{{ x }}{% endfor %}{{ x }}|{{ loop }}|", "{% for x in xs %}{% set y = x %}{% endfor %}[{{ y }}]",
        "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %} {% for m in messages[1:3] %}{{ m.content }}{% endfor %}",
        "{% for x in xs %}{% if not loop.first %}, {% endif %}{{ x }}{% endfor %}",
        "{% for x in xs %}{{ loop.length }}{% break %}{% endfor %}", "{% for i in range(2) %}{% for j in range(2) %}{% if j %}{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
        "{% for x in {'b': 1, 'a': 2} %}{{ x }}{% endfor %}", "{% for x in d.values() %}{{ x }}{% endfor %}",
        "{% for x in xs %}{{ loop.cycle() }}{% endfor %}", "{% for x in [1] %}{{ loop(x) }}{% endfor %}",
    ]
    tree = [{"name": "a", "children": [{"name": "b", "children": []}, {"name": "c", "children": [{"name": "d"}]}]}, {"name": "e"}]
    for i, t in enumerate(loops):
        add(f"loop-{i}", t, {"xs": ["a", "b", "c"], "tree": tree, "messages": MSGS, "d": {"p": 1, "q": 2}})

    # Scoping and namespaces.
    scoping = [
        "{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}",
        "{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}",
        "{% for i in [1, 2] %}{% if i == 1 %}{% set y = 'a' %}{% endif %}[{{ y }}]{% endfor %}",
        "{% set y = 'o' %}{% for i in [1, 2] %}[{{ y }}]{% set y = 'a' %}[{{ y }}]{% endfor %}{{ y }}",
        "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{% set a, b = 'xy' %}{{ b }}{{ a }}",
        "{% set a = b = 1 %}", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}|{{ a }}|",
        "{% with %}{% set q = 1 %}{{ q }}{% endwith %}[{{ q }}]", "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}",
        "{% macro m() %}{% set inner = 1 %}{{ inner }}{% endmacro %}{{ m() }}[{{ inner }}]",
        "{% set ns = namespace() %}{% set ns.a = 1 %}{% set ns.b = [ns.a] %}{{ ns.a }}{{ ns.b }}{{ ns }}",
        "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}|", "{% set x = 5 %}{% set x.y = 1 %}",
        "{% set d = dict(a=1, b=2) %}{{ d }} {{ dict([('x', 1)]) }} {{ dict({'k': 1}, z=2) }} {{ dict() }}",
        "{% set messages = messages[1:] %}{{ messages|length }}", "{% set loop = 1 %}{{ loop }}",
        "{% for x in [1] %}{% set ns2 = namespace(v=x) %}{% endfor %}{{ ns2 }}|",
        "{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
        "{% set t = (1, 2) %}{% set u = t + (3,) %}{{ u }}", "{% set s = 'a' %}{% set s = s ~ 'b' %}{{ s }}",
    ]
    for i, t in enumerate(scoping):
        add(f"scope-{i}", t, {"messages": MSGS})

    # Macros.
    macros = [
        "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', 'Hi') }} {{ greet(greeting='Yo', name='Cy') }}",
        "{% macro f(a, b) %}[{{ a }}|{{ b }}|{{ b is defined }}]{% endmacro %}{{ f(1) }}",
        "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}", "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(b=2) }}",
        "{% macro f() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, k=3) }}",
        "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
        "{% macro walk(node, depth=0) %}{{ ' ' * depth }}{{ node.name }}\n{% for c in node.children or [] %}{{ walk(c, depth + 2) }}{% endfor %}{% endmacro %}{{ walk(tree[0]) }}",
        "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inside {{ 1 + 1 }}{% endcall %}",
        "{% macro items(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(x) items([1, 2]) %}[{{ x }}]{% endcall %}",
        "{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}", "{% macro m() %}  spaced  {% endmacro %}[{{ m() }}][{{ m()|trim }}]",
        "{% macro m() %}x{% endmacro %}{{ m }} {{ m.name }} {{ m() ~ m() }} {{ (m() ~ 'y')|upper }}",
        "{% macro inf(n) %}{{ inf(n + 1) }}{% endmacro %}{{ inf(0) }}",
        "{% macro m(x) %}{% if x is mapping %}{% for k, v in x.items() %}{{ k }}:{{ m(v) }};{% endfor %}{% else %}{{ x }}{% endif %}{% endmacro %}{{ m({'a': {'b': 1}, 'c': 2}) }}",
        "{% macro m(a, a2='d') %}{{ a }}{{ a2 }}{% endmacro %}{{ m(*[1, 2]) }} {{ m(**{'a': 3}) }}",
        "{% macro f(x) %}{{ x }}{% endmacro %}{% set r = f('v') %}{{ r|length }} {{ r is string }}",
        "{% macro m(a=1, b) %}{% endmacro %}", "{% macro m() %}{% break %}{% endmacro %}",
    ]
    for i, t in enumerate(macros):
        add(f"macro-{i}", t, {"tree": tree})

    # Globals and errors.
    misc = [
        "{{ raise_exception('Only user and assistant roles are supported!') }}", "{{ raise_exception('a' ~ 1) }}",
        "{% if true %}{{ raise_exception('nested: ' ~ messages[0].role) }}{% endif %}",
        "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A %j %U %W %w %u %V %G %C %y') }}",
        "{{ strftime_now('%H:%M:%S %p %I %c %x %X %D %F %T %R %e %-d %-m %_d %f %% %z%Z %h %a') }}", "{{ strftime_now('%Q') }}",
        "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }}", "{{ range(1, 2, 0) }}",
        "{{ range('a') }}", "{{ namespace }}|{{ dict }}|", "{{ 'a' ~ {'x': 1} ~ [1] ~ none }}",
        "{{ x }", "{% if %}", "{% endif %}", "{% for x in %}", "{{ 1 + }}", "{% if x %}unclosed", "{% unknown %}",
        "{{ 'unterminated }}", "{% set 1 = 2 %}", "{{ a b }}", "{{ (1, 2 }}", "{{ [1, 2) }}", "{% include 'x.html' %}",
        "{% block body %}in block {{ 1 }}{% endblock %}", "{% print 'p', 1 %}", "{{ 1 is is }}", "{{ f(**{}, 1) }}",
        "{{ messages[0]['role']|upper }}", "{{ messages|selectattr('role', 'equalto', 'user')|list|length }}",
        "{{ (messages|last).content }}", "{{ messages[-1].content if messages else 'none' }}",
        "{{ {'a': 1}.items()|list }}", "{{ {'a': 1} | items | list }}", "{{ '\\n'.join(['a', 'b']) }}",
        "{%- set system = messages[0].content if messages[0].role == 'system' else '' -%}[{{ system }}]",
        "{{ messages[0].content.split('.')[0] }} {{ messages|map(attribute='role')|unique|list }}",
"{{ 1 if 2 if 3 else 4 else 5 }}",
        "{{ 1 if true else 2 if false else 3 }}", "{{ [1, 2, 3][1:] + [4] }}", "{{ (1) }} {{ (1,) }} {{ ((1, 2)) }}",
        "{{ {'a': 1}['a'] }} {{ {'a': {'b': [10, 20]}}['a']['b'][1] }} {{ {'a': 1}.a }}",
        "{{ [1, 2, 3] | length > 2 }} {{ not [1] | length }}", "{{ -1|abs }} {{ - 1|abs }} {{ (-1)|abs }}",
        "{{ 1 ~ 2 | string }}", "{{ 'abc' if 'b' in 'abc' }}|{{ 'x' if false }}|",
        "{{ tools|length if tools else 0 }}", "{{ tools[0].function.parameters.properties.keys()|list }}",
        "{% for name, prop in tools[0].function.parameters.properties.items() %}{{ name }}: {{ prop.type }}{% if prop.description %} ({{ prop.description }}){% endif %}\n{% endfor %}",
        "{{ x|tojson if x is mapping else x }}", "{{ 10**10 * 10**8 }}", "{{ 4 ** 0.5 }} {{ (-8) ** (1/3) if false else 0 }}",
        "{{ 'text' | string | length }}", "{{ [] | join(', ') }}|{{ [none] | join }}",
        "{{ 'a' 'b' ~ 'c' }}", "{{ \"it's\" ~ '\"q\"' }}", "{{ 'x' is string and 'x' }}",
    ]
    for i, t in enumerate(misc):
        add(f"misc-{i}", t, {"messages": MSGS, "tools": TOOLS, "x": {"k": 1}})


    # tojson byte-exactness: json.dumps(ensure_ascii=False) with Python's separators.
    nested = {"z": 1, "a": [1, 2.5, None, True, False, "s"], "m": {"é": "ü", "k": {"deep": [[], {}]}},
              "esc": "quote\" back\\ nl\n cr\r tab\t bs\b ff\f nul\u0000 us\u001f del\u007f ls\u2028 emoji😀",
              "num": [0, -0.0, 1e-05, 1e16, 123456789012, 3.14, -2.5e-10, 1e300]}
    tojson = ["{{ v|tojson }}", "{{ v|tojson(indent=2) }}", "{{ v|tojson(indent=0) }}", "{{ v|tojson(indent='\t') }}",
              "{{ v|tojson(sort_keys=true) }}", "{{ v|tojson(ensure_ascii=true) }}", "{{ v|tojson(separators=(',', ':')) }}",
              "{{ v|tojson(indent=2, separators=(', ', ': ')) }}", "{{ v.esc|tojson }}", "{{ v.num|tojson }}",
              "{{ v.m|tojson(indent=3) }}", "{{ [v.a, v.m]|tojson }}", "{{ v|tojson(indent=-1) }}", "{{ v|tojson(true) }}",
              "{{ v.a|tojson(indent=1)|length }}", "{{ (v|tojson)[0:20] }}", "{{ v|dictsort|tojson }}"]
    for i, t in enumerate(tojson):
        add(f"tojson-{i}", t, {"v": nested})
    add("tojson-tools-qwen-style", "{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}", {"tools": TOOLS})
    add("tojson-key-order-from-context", "{{ d|tojson }}", {"d": {"b": 1, "a": 2, "c": {"y": 1, "x": 2}}})
    add("tojson-duplicate-free-update", "{{ dict(d, a=9)|tojson }}", {"d": {"b": 1, "a": 2}})
    for i, t in enumerate(["{{ d|tojson }}", "{{ [1]|map('string')|tojson }}", "{{ 'x'|tojson(indent=1.5) }}"]):
        add(f"tojson-error-{i}", t, {"d": {"k": range(0)} if False else {"k": 1}})

    # Slicing with steps and negative indexes on lists, tuples and strings.
    seqs = {"l": [0, 1, 2, 3, 4, 5, 6], "s": "abcdefg", "t": [10, 20, 30]}
    bounds = [None, 0, 1, 3, -1, -3, 7, 10, -10]
    steps = [None, 1, 2, -1, -2, 3]
    k = 0
    for name in ("l", "s"):
        for a, b, st in itertools.product(bounds[:6], bounds[:6], steps):
            expr = f"{name}[{'' if a is None else a}:{'' if b is None else b}{'' if st is None else ':' + str(st)}]"
            add(f"slice-{k}", "{{ " + expr + " }}", seqs)
            k += 1
    for i, t in enumerate(["{{ l[-1] }} {{ l[-7] }} {{ l[-8] }}|", "{{ s[-1] }}{{ s[-7] }}", "{{ t[::-1] }}", "{{ l[::0] }}",
                           "{{ l[1.0:] }}|", "{{ l['a':] }}|", "{{ l[true:] }}", "{{ s[1:][::-1][0] }}", "{{ (l|list)[2:4] }}",
                           "{{ messages[-2:]|map(attribute='role')|join(',') }}", "{{ l[10:20] }}", "{{ s[::-3] }}"]):
        add(f"slice-misc-{i}", t, {**seqs, "messages": MSGS})

    # More loop, scope and macro semantics.
    more = [
        "{% for x in xs %}{% set ns = namespace(v=x) %}{{ ns.v }}{% endfor %}",
        "{% set ns = namespace(items=[]) %}{% for x in [1, 2] %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.items }}",
        "{% macro add(ns) %}{% set ns.n = ns.n + 1 %}{% endmacro %}{% set ns = namespace(n=0) %}{{ add(ns) }}{{ add(ns) }}{{ ns.n }}",
        "{% for x in {'a': 1, 'b': 2} if x != 'a' %}{{ x }}{% endfor %}",
        "{% for x in [1, 2, 3] %}{{ loop.changed(x // 2, 'k') }}{% endfor %}",
        "{% for x in xs %}{% for y in xs %}{{ loop.depth }}{% endfor %}{% endfor %}",
        "{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% else %}never{% endfor %}",
        "{% for x in xs %}{% set last = loop.last %}{% if last %}L{% endif %}{% endfor %}",
        "{% set x = 'outer' %}{% macro m(x) %}{{ x }}{% endmacro %}{{ m('arg') }}{{ x }}",
        "{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}",
        "{% macro m(caller) %}{{ caller }}{% endmacro %}{{ m(1) }}",
        "{% macro outer() %}{% macro inner() %}i{% endmacro %}{{ inner() }}o{% endmacro %}{{ outer() }}{{ inner is defined }}",
        "{% for m in messages %}{% if m.role == 'user' %}{% set ns_local = m.content %}{% endif %}{% endfor %}[{{ ns_local }}]",
        "{% set xs2 = xs|reverse %}{{ xs2|list }}{{ xs2|list }}", "{% set it = {'a': 1}.items() %}{{ it|list }}{{ it|list }}",
        "{{ xs|select('ne', 'b')|list|length }}", "{{ xs|map('upper')|join }}{{ xs|map('upper')|list|length }}",
        "{% for a in xs %}{% for b in xs if b != a %}{{ a }}{{ b }}{% if not loop.last %},{% endif %}{% endfor %};{% endfor %}",
        "{% for x in xs %}{{ loop.nextitem }}{% endfor %}", "{{ xs[0] if xs|length > 5 }}|{{ xs|length > 1 and xs[1] }}",
        "{% set ns = namespace(a=1) %}{% with %}{% set ns.a = 2 %}{% endwith %}{{ ns.a }}",
        "{%- for message in messages -%}{%- if loop.index0 == 0 and message.role == 'system' -%}{%- set sys = message -%}{%- endif -%}{%- endfor -%}[{{ sys }}]",
        "{% for x in xs recursive %}{{ x }}{% endfor %}", "{{ messages|rejectattr('role', 'in', ['system', 'tool'])|map(attribute='content')|join('|') }}",
        "{{ messages|selectattr('content', 'string')|list|length }}", "{% for x in xs|batch(2) %}{{ x }}{% endfor %}",
        "{{ (xs|join(','))|replace(',', ' & ') }}", "{{ messages|map(attribute='nope')|list }}", "{{ messages|map(attribute='nope', default='-')|join }}",
    ]
    for i, t in enumerate(more):
        add(f"loop-more-{i}", t, {"xs": ["a", "b", "c"], "messages": MSGS})

    # A second black-box hunt: for/else after break/continue, '%' with Undefined, int rounding.
    hunt = [
        "{% for x in [1, 2] %}{% continue %}{% else %}ELSE{% endfor %}",
        "{% for m in messages %}{% if m.role == 'system' %}{{ m.content }}{% break %}{% endif %}{% else %}DEFAULT{% endfor %}",
        "{% for x in xs %}{{ x }}{% if x == 'c' %}{% break %}{% endif %}{% else %}E{% endfor %}",
        "{% for x in xs %}{% if x == 'a' %}{% continue %}{% endif %}{{ x }}{% else %}E{% endfor %}",
        "{% for x in xs if x == 'z' %}{{ x }}{% else %}E{% endfor %}",
        "{{ '[%s]' % messages[0].name }}", "{{ '%r' % messages[0].name }}", "{{ '%d' % messages[0].name }}",
        "{{ 'x' ~ ('%s' % nothing) }}", "{{ '%s' % messages[0].name ~ '|' }}",
        "{{ 25|round(-1) }} {{ 15|round(-1) }} {{ -25|round(-1) }} {{ 5|round(-1) }} {{ 1234567|round(-3) }}",
        "{{ 15|round(-400) }} {{ 1.5|round(-400) }} {{ -1.5|round(-400) }}",
        "{{ (2 ** 62)|round(-18) }} {{ -(2 ** 62)|round(-18) }}",
        "{{ '{:>5}|{:05}|{:+}|{:d}'.format(true, false, true, true) }}", "{{ '{}|{!s}|{:}'.format(true, true, false) }}",
        "{{ '{:05}|{:x<05}|{:<5}|'.format('ab', 'ab', 'ab') }}", "{{ '{:,}'.format('ab') }}", "{{ '{:+}'.format('ab') }}",
        "{{ '{:#}'.format('ab') }}", "{{ '{:=5}'.format('ab') }}", "{{ '{: }'.format(none) }}", "{{ '{:,}'.format([1]) }}",
        "{{ '{:.2}'.format(1) }}", "{{ '{:.2f}|{:05.1f}'.format(1, 2.25) }}",
        "{{ -0.3|round(0, 'ceil') }}|{{ 0.3|round(0, 'floor') }}|{{ -1.5|round(0, 'floor') }}|{{ 2.345|round(2, 'ceil') }}|{{ 15|round(-1, 'ceil') }}",
    ]
    # jinja2's frame rule: a name the top level sets before reading it is undefined
    # until then, in nested scopes too, whatever the context holds.
    late = [
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% set b = 1 %}{{ b }}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% if t %}{% set b = 1 %}{% else %}{% set b = 2 %}{% endif %}{{ b }}",
        "{{ b }}{% for i in [1] %}[{{ b }}]{% endfor %}{% set b = 1 %}{{ b }}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{{ b }}{% set b = 1 %}{{ b }}",
        "{% macro m() %}[{{ b }}]{% endmacro %}{{ m() }}{% set b = 1 %}{{ m() }}",
        "{% set y %}{{ b }}{% endset %}{% set b = 1 %}[{{ y }}]",
        "{% set l %}{{ l|length }}{% endset %}[{{ l }}]",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% for j in [1] %}{% set b = 5 %}{% endfor %}{{ b }}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% set b, c = 1, 2 %}{{ b }}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% with %}{% set b = 1 %}{% endwith %}{{ b }}",
        "{% for i in [1] %}[{{ b is defined }}]{% endfor %}{% set b = b %}",
        "{% if t %}{% for i in [1] %}[{{ b }}]{% endfor %}{% endif %}{% set b = 1 %}",
        "{% for i in [1] %}{{ b is defined }}{% endfor %}{% set b = 1 %}",
        "{% set ns = namespace(x=1) %}{% for i in [1] %}{{ ns.x }}{% endfor %}{% set ns.x = 2 %}{{ ns.x }}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% set b | upper %}x{% endset %}{{ b }}",
        "{% with %}[{{ b }}]{% endwith %}{% set b = 1 %}",
        "{% filter upper %}[{{ b }}]{% endfilter %}{% set b = 'z' %}",
        "{% for i in [1] %}[{{ b }}]{% endfor %}{% macro b() %}x{% endmacro %}",
    ]
    for i, t in enumerate(late):
        add(f"scope-late-{i}", t, {"b": "B0", "t": True, "l": [1, 2]})

    for i, t in enumerate(hunt):
        add(f"loop-else-{i}" if "{% else %}" in t else f"op-hunt-{i}", t, {"xs": ["a", "b", "c"], "messages": MSGS})

    c.extend(whitespace_matrix())
    return c


def feature_cases():
    return cases()
