# Edge cases of added-token matching, Split and ByteFallback, each a tokenizer.json
# and what Hugging Face `tokenizers` 0.23.3 encodes or decodes with it (run from
# this folder; needs only `pip install tokenizers`). Read by TokenizationTests.
import json
from tokenizers import Tokenizer
def bytelevel_base(extra_added=(), pre=None, merges=()):
    # ids 0..255: the byte-level alphabet in GPT-2 order
    from tokenizers.pre_tokenizers import ByteLevel
    alphabet = ByteLevel.alphabet()
    # deterministic: sort by the byte each char stands for
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]; n=0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n+=1
    m = dict(zip(bs, cs))
    vocab = {chr(m[b]): b for b in range(256)}
    nxt = 256
    for a,b in merges:
        vocab[a+b] = nxt; nxt += 1
    tok = {"version":"1.0","truncation":None,"padding":None,"added_tokens":[],
           "normalizer":None,"pre_tokenizer":pre or {"type":"ByteLevel","add_prefix_space":False,"trim_offsets":True,"use_regex":False},
           "post_processor":None,"decoder":{"type":"ByteLevel","add_prefix_space":False,"trim_offsets":True,"use_regex":False},
           "model":{"type":"BPE","dropout":None,"unk_token":None,"continuing_subword_prefix":None,"end_of_word_suffix":None,
                    "fuse_unk":False,"byte_fallback":False,"ignore_merges":False,"vocab":vocab,"merges":[f"{a} {b}" for a,b in merges]}}
    nid = nxt
    for content, flags in extra_added:
        d = {"id": nid, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False}
        d.update(flags); tok["added_tokens"].append(d); nid += 1
    return tok
cases = {}
def add(name, tok, texts):
    t = Tokenizer.from_str(json.dumps(tok))
    cases[name] = {"tokenizer": tok, "encodings": [{"text": x, "ids": t.encode(x, add_special_tokens=False).ids} for x in texts]}
add("rstrip-then-overlapping-added-token",
    bytelevel_base([("<a>", {"rstrip": True}), (" <b>", {})]),
    ["<a> <b>", "x<a> <b>y", "<a>  <b>", "<a>\t <b> <a><b>"])
add("duplicate-added-content-takes-the-last-flags",
    bytelevel_base([("<x>", {"special": True}), ("<x>", {"lstrip": True})]),
    ["a <x> b", "<x>", "  <x>  "])
add("contiguous-inverted-split-merges-neighbours",
    bytelevel_base(pre={"type":"Sequence","pretokenizers":[
        {"type":"Split","pattern":{"String":"a"},"behavior":"Contiguous","invert":True},
        {"type":"ByteLevel","add_prefix_space":False,"trim_offsets":True,"use_regex":False}]}, merges=[("a","a")]),
    ["aa", "xaay", "aaaa b aa", "baab"])
hostile = [("a"*k+"b", {}) for k in range(1, 41)]
add("many-added-tokens-sharing-prefixes", bytelevel_base(hostile),
    ["a"*200, "a"*30+"b", "a"*45+"b"+"a"*3+"b", "ab aab aaab"])
# byte fallback names: <0x+F> is byte 0x0F to tokenizers
bf = {"version":"1.0","added_tokens":[],"normalizer":None,"pre_tokenizer":None,"post_processor":None,
      "decoder":{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]},
      "model":{"type":"BPE","dropout":None,"unk_token":None,"continuing_subword_prefix":None,"end_of_word_suffix":None,
               "fuse_unk":False,"byte_fallback":True,"ignore_merges":False,
               "vocab":{"<0x+F>":0,"<0x41>":1,"<0x+g>":2,"<0x4+>":3,"x":4},"merges":[]}}
t = Tokenizer.from_str(json.dumps(bf))
cases["byte-fallback-token-names-parse-as-rust-does"] = {"tokenizer": bf, "decodings": [
    {"ids": ids, "text": t.decode(ids, skip_special_tokens=False)} for ids in [[0], [1, 0, 4], [2], [3], [0, 0]]]}
json.dump(cases, open("tokenizer-edge-cases.json","w"), ensure_ascii=False, indent=1)
for k,v in cases.items():
    print(k, [e.get("ids") for e in v.get("encodings", [])][:4], [d for d in v.get("decodings", [])][:5])
