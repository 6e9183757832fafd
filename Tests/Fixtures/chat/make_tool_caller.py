"""Writes tool-caller/: a one-layer Llama whose greedy output, after any
ordinary token, is a Hermes tool call:

    <tool_call>{"name":"get_weather","arguments":{"city":"Rome"}}</tool_call><|end_of_text|>

It is a real model run by the real forward pass; its weights are chosen by
hand instead of trained (the tiny fixture models never learned to call
tools). The tokenizer is models/tiny-llama's plus three added (non-special)
tokens, ids 2048-2050: `<tool_call>`, the call's JSON body, `</tool_call>`.
Attention and MLP write nothing (o_proj and down_proj are zero), so the last
hidden state is the last token's embedding, RMS-normalised:
- every ordinary token embeds as e0; `<tool_call>` as e1, the body as e2,
  `</tool_call>` as e3 (unit vectors of the hidden space);
- lm_head maps e0 -> `<tool_call>`, e1 -> body, e2 -> `</tool_call>`,
  e3 -> eos (weight 10, every other logit 0).
Weights are bfloat16 (0, 1 and 10 are exact).

    python3 make_tool_caller.py   # needs numpy; run from this folder
"""
import json
import os
import struct

import numpy as np

SOURCE = "../../../models/tiny-llama"
OUT = "tool-caller"
BODY = '{"name":"get_weather","arguments":{"city":"Rome"}}'
ADDED = ["<tool_call>", BODY, "</tool_call>"]
HIDDEN, INTER, HEADS, KV_HEADS, HEAD_DIM = 128, 16, 4, 2, 32
EOS = 2047
VOCAB = 2048 + len(ADDED)

os.makedirs(OUT, exist_ok=True)

embed = np.zeros((VOCAB, HIDDEN), np.float32)
embed[:, 0] = 1.0
for i in range(len(ADDED)):
    embed[2048 + i] = 0.0
    embed[2048 + i, 1 + i] = 1.0
lm_head = np.zeros((VOCAB, HIDDEN), np.float32)
lm_head[2048, 0] = 10.0   # ordinary token -> <tool_call>
lm_head[2049, 1] = 10.0   # <tool_call> -> body
lm_head[2050, 2] = 10.0   # body -> </tool_call>
lm_head[EOS, 3] = 10.0    # </tool_call> -> eos

tensors = {
    "model.embed_tokens.weight": embed,
    "lm_head.weight": lm_head,
    "model.norm.weight": np.ones(HIDDEN, np.float32),
    "model.layers.0.input_layernorm.weight": np.ones(HIDDEN, np.float32),
    "model.layers.0.post_attention_layernorm.weight": np.ones(HIDDEN, np.float32),
    "model.layers.0.self_attn.q_proj.weight": np.zeros((HEADS * HEAD_DIM, HIDDEN), np.float32),
    "model.layers.0.self_attn.k_proj.weight": np.zeros((KV_HEADS * HEAD_DIM, HIDDEN), np.float32),
    "model.layers.0.self_attn.v_proj.weight": np.zeros((KV_HEADS * HEAD_DIM, HIDDEN), np.float32),
    "model.layers.0.self_attn.o_proj.weight": np.zeros((HIDDEN, HEADS * HEAD_DIM), np.float32),
    "model.layers.0.mlp.gate_proj.weight": np.zeros((INTER, HIDDEN), np.float32),
    "model.layers.0.mlp.up_proj.weight": np.zeros((INTER, HIDDEN), np.float32),
    "model.layers.0.mlp.down_proj.weight": np.zeros((HIDDEN, INTER), np.float32),
}

# safetensors: 8-byte little-endian header length, JSON header, raw data.
header, blobs, offset = {}, [], 0
for name in sorted(tensors):
    bf16 = (tensors[name].view(np.uint32) >> 16).astype("<u2").tobytes()
    header[name] = {"dtype": "BF16", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(bf16)]}
    blobs.append(bf16)
    offset += len(bf16)
header["__metadata__"] = {"format": "pt"}
head = json.dumps(header, separators=(",", ":")).encode()
head += b" " * (-len(head) % 8)
with open(os.path.join(OUT, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))

config = json.load(open(os.path.join(SOURCE, "config.json")))
config.update({"num_hidden_layers": 1, "intermediate_size": INTER, "vocab_size": VOCAB, "dtype": "bfloat16"})
json.dump(config, open(os.path.join(OUT, "config.json"), "w"), indent=2)
for name in ["generation_config.json", "tokenizer_config.json", "special_tokens_map.json"]:
    with open(os.path.join(SOURCE, name)) as src, open(os.path.join(OUT, name), "w") as dst:
        dst.write(src.read())
tokenizer = json.load(open(os.path.join(SOURCE, "tokenizer.json")))
for i, content in enumerate(ADDED):
    tokenizer["added_tokens"].append({"id": 2048 + i, "content": content, "single_word": False, "lstrip": False,
                                      "rstrip": False, "normalized": False, "special": False})
json.dump(tokenizer, open(os.path.join(OUT, "tokenizer.json"), "w"), ensure_ascii=False)
