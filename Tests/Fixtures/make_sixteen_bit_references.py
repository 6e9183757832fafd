#!/usr/bin/env python3
"""Makes the 16-bit fixtures the tests compare lorad's 16-bit weights with.

- tiny-llama-f16/: models/tiny-llama cast to float16 by torch
  (`model.to(torch.float16)`, round to nearest even) and saved by
  transformers' save_pretrained, with the tokenizer files copied.
- references-sixteen-bit.json: for every prompt of references.json, the
  last-position logits and the greedy 24-token continuation of
  tiny-llama-f16 and of tiny-llama-bf16, each loaded with
  `from_pretrained(folder, dtype=torch.float32)`: the 16-bit weights
  widened exactly and every operation in float32. That is the computation
  lorad runs over resident 16-bit weights, so the two must agree as
  closely as two float32 implementations do (references.json's own
  base-bf16 ran in bfloat16 arithmetic, another computation).

Not run by CI (it needs torch and transformers):
    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install torch transformers==5.24.0
    cd Tests/Fixtures && /tmp/tfenv/bin/python make_sixteen_bit_references.py
Single-threaded and without randomness, so a re-run with the same library
versions rewrites the same files.
"""
import json
import os
import shutil

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
F32_DIR = os.path.join(ROOT, "models", "tiny-llama")
F16_DIR = os.path.join(HERE, "tiny-llama-f16")
BF16_DIR = os.path.join(HERE, "tiny-llama-bf16")
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


def load(folder, dtype):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    model.eval()
    return model


def write_f16_copy():
    model = load(F32_DIR, torch.float32).to(torch.float16)
    model.config.dtype = torch.float16
    model.save_pretrained(F16_DIR, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(F32_DIR, name), os.path.join(F16_DIR, name))


@torch.no_grad()
def run(model, input_ids, eos_id, max_new_tokens):
    ids = torch.tensor([input_ids], dtype=torch.long)
    mask = torch.ones_like(ids)
    logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[0, -1]
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                         do_sample=False, num_beams=1, pad_token_id=eos_id, eos_token_id=eos_id,
                         temperature=None, top_p=None, top_k=None)
    return logits, out[0, ids.shape[1]:].tolist()


def main():
    torch.set_num_threads(1)
    write_f16_copy()
    with open(os.path.join(HERE, "references.json")) as f:
        base = json.load(f)
    generation = base["generation"]
    eos_id, max_new = generation["eos_token_id"], generation["max_new_tokens"]
    tokenizer = AutoTokenizer.from_pretrained(F32_DIR)
    variants = []
    for name, folder, weights_dtype in [("base-f16-f32-compute", F16_DIR, "float16"),
                                        ("base-bf16-f32-compute", BF16_DIR, "bfloat16")]:
        model = load(folder, torch.float32)
        results = []
        for prompt in base["prompts"]:
            logits, new = run(model, prompt["input_ids"], eos_id, max_new)
            results.append({
                "prompt": prompt["name"],
                "last_logits_argmax": int(torch.argmax(logits).item()),
                "generated_ids": new,
                "generated_text": tokenizer.decode(new, skip_special_tokens=False),
                "stopped_at_eos": len(new) < max_new,
                "last_logits": [float(x) for x in logits.tolist()],
            })
        variants.append({"name": name, "kind": "base", "model_dir": os.path.basename(folder),
                         "weights_dtype": weights_dtype, "dtype": "float32-compute", "results": results})
    out = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "generation": generation,
        "logits": "last_logits = model(input_ids).logits[0, -1], float32",
        "prompts": base["prompts"],
        "variants": variants,
    }
    with open(os.path.join(HERE, "references-sixteen-bit.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
