"""Extra tokenizer references for lorad's Tokenization tests.

Trains small tokenizers with the Hugging Face `tokenizers` library on the
license texts in /usr/share/common-licenses and records what the library
itself produces for a set of hard strings:

- sentencepiece-legacy/    Llama-2 / TinyLlama layout: normalizer
  Sequence[Prepend("▁"), Replace(" " → "▁")], no pre-tokenizer, BPE with
  byte_fallback + fuse_unk + <unk>, <0x00>..<0xFF> byte tokens in the model
  vocabulary (ids 3..258), TemplateProcessing "<s> $A", decoder
  Sequence[Replace("▁" → " "), ByteFallback, Fuse, Strip(" ", 1, 0)].
- sentencepiece-metaspace/ the same model with the newer layout: Metaspace
  pre-tokenizer (prepend_scheme "first", split false) and Metaspace decoder,
  plus extra added tokens exercising lstrip / rstrip / single_word /
  normalized / non-special.
- gpt2-bytelevel/          GPT-2 layout: ByteLevel(add_prefix_space=false,
  use_regex=true) pre-tokenizer and decoder, merges written as "a b" strings,
  <|endoftext|> special, no BOS.
- smollm-style/            Sequence[Digits(individual_digits), ByteLevel(
  add_prefix_space=true, use_regex=true)], RobertaProcessing.
- bpe-affixes/             BPE with continuing_subword_prefix "##" and
  end_of_word_suffix "</w>", <unk> (no fusing, no byte fallback),
  WhitespaceSplit, BPEDecoder.
- bytelevel-normalized/    the GPT-2 model behind Sequence[NFKC, Lowercase],
  ByteLevel(add_prefix_space=true), a normalized added token, "$A <eot>".

Each folder gets tokenizer.json, tokenizer_config.json and references.json
(same fields as ../tokenizer-references.json). pretokenizer-references.json
has each recognised Split regex applied (Isolated) to hard and random strings.
fixture-fuzz-references.json
holds random strings encoded with the shared fixture tokenizer (../tokenizer).

Run from this folder:  python make_sentencepiece_fixture.py
Deterministic: sorted inputs, a seeded RNG, single-threaded tokenizers.
"""
import json
import os
import random
import sys

os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_DIR = "/usr/share/common-licenses"
SEED = 1234


def corpus_files():
    out = []
    for name in sorted(os.listdir(CORPUS_DIR)):
        path = os.path.join(CORPUS_DIR, name)
        if os.path.isfile(path) and not os.path.islink(path):
            out.append(path)
    return out


def corpus_lines():
    lines = []
    for path in corpus_files():
        with open(path, encoding="utf-8", errors="replace") as f:
            lines.extend(line.rstrip("\n") for line in f)
    return lines


def hand_cases():
    """The shared fixture's hand-made hard strings, plus SentencePiece specials."""
    with open(os.path.join(HERE, "..", "tokenizer-references.json"), encoding="utf-8") as f:
        shared = json.load(f)["cases"]
    texts = []
    for case in shared:
        texts.append(case["text"])
        if case["text"] == "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.":
            break
    texts += [
        "<s>", "</s>", "<unk>", "<s></s>", "Hello<s>world", " <s> x", "a </s> b", "<s> leading", "trailing </s>",
        "<s><s>", "x<unk>y", "▁", "▁▁x", "  two leading", "end  ", " ", "\n leading newline",
        "emoji 😀 and CJK 日本 together", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a\u0301e\u0300", "tab\there", "<0x41><0xE6>",
        "<mask>", "x <mask> y", "x<mask>y", "<|user|> hi <|user|>", "word<|user|>", "[NL] x", "a[NL]b", " [NL] ",
        "<|endoftext|>", "text<|endoftext|>more", "1234567890", "x1y22z333", "٣.١٤ and 12", "pi 3.14159",
    ]
    return texts


def fuzz_cases(rng, count):
    pool = (
        list("abcXYZ éñßİıſ") + ["'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'D", "'ſ", "'x", "'"]
        + list("0123456789٣٤①Ⅻ²") + list(" \t\n\r\u00a0\u0085\u2028\u3000\u200b")
        + list(".,!?;:-_()[]{}<>\"/\\@#$%^&*+=~`|") + ["\u0301", "\u0308", "日本", "中文", "한국", "ไทย", "😀", "👍🏽", "👩\u200d💻", "🇫🇷"]
        + ["  ", "\n\n", " \n ", "\r\n", "...", "--", "Ġ", "▁", "Ċ"]
    )
    out = []
    for _ in range(count):
        n = rng.randint(1, 14)
        out.append("".join(rng.choice(pool) for _ in range(n)))
    return out


def references(tok, texts):
    cases = []
    for text in texts:
        enc = tok.encode(text, add_special_tokens=True)
        plain = tok.encode(text, add_special_tokens=False)
        cases.append({
            "text": text,
            "ids": enc.ids,
            "ids_no_special": plain.ids,
            "tokens_no_special": [tok.id_to_token(i) for i in plain.ids],
            "decoded": tok.decode(plain.ids, skip_special_tokens=False),
            "decoded_with_special": tok.decode(enc.ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
        })
    return {"format_version": 1, "tokenizers_version": tokenizers.__version__, "count": len(cases), "cases": cases}


def write_folder(name, tokenizer_json, config, texts):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    text = json.dumps(tokenizer_json, ensure_ascii=False, indent=1)
    tok = Tokenizer.from_str(text)  # the library validates the hand-assembled file
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    with open(os.path.join(folder, "references.json"), "w", encoding="utf-8") as f:
        json.dump(references(tok, texts), f, ensure_ascii=False, separators=(",", ":"))
    return tok


def added(id_, content, special=True, lstrip=False, rstrip=False, single_word=False, normalized=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def train_sentencepiece_model(files):
    """A word-level BPE on ▁-prefixed words (like SentencePiece with
    split_by_whitespace), then laid out as in Llama-2's tokenizer.json."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=740, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=90,
                                  show_progress=False)
    tok.train(files, trainer)
    trained = json.loads(tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [m if isinstance(m, list) else m.split(" ") for m in trained["merges"]]
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


def sentencepiece_template():
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}


def train_bytelevel(files, vocab_size, pre_tokenizer, special):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train(files, trainer)
    return json.loads(tok.to_str())


def train_affix_model(lines, merges_wanted=300, alphabet_size=60):
    """A tiny deterministic BPE trainer for the affix layout (the library's
    trainer breaks ties in hash order when continuing_subword_prefix or
    end_of_word_suffix is set, so its output is not reproducible): the most
    frequent pair wins, ties go to the lexicographically smallest pair."""
    prefix, suffix = "##", "</w>"
    counts = {}
    for line in lines:
        for word in line.split():
            counts[word] = counts.get(word, 0) + 1
    chars = {}
    for word, n in counts.items():
        for c in word:
            chars[c] = chars.get(c, 0) + n
    alphabet = set(sorted(chars, key=lambda c: (-chars[c], c))[:alphabet_size])
    words = []
    for word in sorted(counts):
        if all(c in alphabet for c in word):
            symbols = [c if i == 0 else prefix + c for i, c in enumerate(word)]
            symbols[-1] += suffix
            words.append((symbols, counts[word]))
    vocab = {"<unk>": 0}
    for symbols, _ in words:
        for sym in symbols:
            vocab.setdefault(sym, len(vocab))
    merges = []
    for _ in range(merges_wanted):
        pairs = {}
        for symbols, n in words:
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        a, b = best
        merged = a + (b[len(prefix):] if b.startswith(prefix) else b)
        merges.append([a, b])
        vocab.setdefault(merged, len(vocab))
        for symbols, _ in words:
            i = 0
            while i < len(symbols) - 1:
                if symbols[i] == a and symbols[i + 1] == b:
                    symbols[i:i + 2] = [merged]
                i += 1
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": prefix,
            "end_of_word_suffix": suffix, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


def main():
    if tokenizers.__version__ != "0.23.3":
        print(f"warning: tokenizers {tokenizers.__version__}; the shared fixtures used 0.23.3", file=sys.stderr)
    rng = random.Random(SEED)
    files = corpus_files()
    lines = [l for l in corpus_lines() if l.strip()]
    sampled = rng.sample(lines, 20)
    texts = hand_cases() + sampled + fuzz_cases(rng, 60)

    model = train_sentencepiece_model(files)
    specials = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")]
    sp_config = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                 "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False}

    legacy = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": specials,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
        "pre_tokenizer": None,
        "post_processor": sentencepiece_template(),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": model,
    }
    write_folder("sentencepiece-legacy", legacy, sp_config, texts)

    n = len(model["vocab"])
    metaspace = dict(legacy)
    metaspace["added_tokens"] = specials + [
        added(n, "<mask>", lstrip=True),
        added(n + 1, "<|user|>", special=False, rstrip=True),
        added(n + 2, "[NL]", special=False, single_word=True, normalized=True),
    ]
    metaspace["normalizer"] = None
    metaspace["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    metaspace["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    write_folder("sentencepiece-metaspace", metaspace, sp_config, texts)

    gpt2 = train_bytelevel(files, 900, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), ["<|endoftext|>"])
    gpt2["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in gpt2["model"]["merges"]]
    gpt2["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    gpt2["post_processor"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True}
    write_folder("gpt2-bytelevel", gpt2,
                 {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "tokenizer_class": "GPT2Tokenizer",
                  "clean_up_tokenization_spaces": False}, texts)

    smol = train_bytelevel(files, 700, pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)]), ["<s>", "</s>", "<|endoftext|>"])
    smol["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    ids = {t["content"]: t["id"] for t in smol["added_tokens"]}
    smol["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", ids["</s>"]], "cls": ["<s>", ids["<s>"]],
                              "trim_offsets": True, "add_prefix_space": True}
    write_folder("smollm-style", smol, {"bos_token": "<s>", "eos_token": "</s>",
                                        "tokenizer_class": "PreTrainedTokenizerFast"}, texts)

    # The GPT-2 model behind NFKC + Lowercase, a prefix space, a normalized
    # added token (matched after normalization) and an end-of-text template.
    normed = dict(gpt2)
    eot = next(t["id"] for t in gpt2["added_tokens"] if t["content"] == "<|endoftext|>")
    normed["added_tokens"] = gpt2["added_tokens"] + [added(len(gpt2["model"]["vocab"]) + 1, "[NL]", special=False, normalized=True)]
    normed["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}
    normed["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    normed["post_processor"] = {"type": "TemplateProcessing",
                                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                                "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [eot], "tokens": ["<|endoftext|>"]}}}
    write_folder("bytelevel-normalized", normed, {"eos_token": "<|endoftext|>", "tokenizer_class": "PreTrainedTokenizerFast"},
                 texts + ["ΣΑΣ ΟΔΟΣ", "İSTANBUL ǅ ǈ", "ﬁ ﬀ ㎏ ① ¼ Ⅻ", "x [nl] y [NL] z", "CAFÉ CAFE\u0301"])

    # Subword affixes (continuing_subword_prefix "##", end_of_word_suffix
    # "</w>"), <unk> without byte fallback or fusing, WhitespaceSplit, BPEDecoder.
    affix_json = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>")],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
        "model": train_affix_model(lines),
    }
    affix_json["decoder"] = {"type": "BPEDecoder", "suffix": "</w>"}
    write_folder("bpe-affixes", affix_json, {"unk_token": "<unk>", "tokenizer_class": "PreTrainedTokenizerFast"}, texts)

    # Every pattern the Swift side recognises, split (Isolated) by the library.
    patterns = [
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
    ]
    split_texts = hand_cases() + fuzz_cases(random.Random(SEED + 2), 200)
    split_refs = []
    for pattern in patterns:
        splitter = pre_tokenizers.Split(tokenizers.Regex(pattern), "isolated")
        split_refs.append({"pattern": pattern, "cases": [
            {"text": t, "pieces": [p for p, _ in splitter.pre_tokenize_str(t)]} for t in split_texts]})
    with open(os.path.join(HERE, "pretokenizer-references.json"), "w", encoding="utf-8") as f:
        json.dump({"format_version": 1, "tokenizers_version": tokenizers.__version__, "patterns": split_refs}, f,
                  ensure_ascii=False, separators=(",", ":"))

    fixture = Tokenizer.from_file(os.path.join(HERE, "..", "tokenizer", "tokenizer.json"))
    with open(os.path.join(HERE, "fixture-fuzz-references.json"), "w", encoding="utf-8") as f:
        json.dump(references(fixture, fuzz_cases(random.Random(SEED + 1), 300)), f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
