"""Write the embedded model as a folder FastEmbed loads offline (its `specific_model_path`):
model.onnx (a link to the installed file, or a copy), tokenizer.json built from the shipped
vocabulary, and the small config files FastEmbed reads. With it, `embedding_engine: FastEmbed`
(here or in NeMo, through `embedding_params`) runs on a machine that cannot download.

    python -m rails.index.semantic.fastembed_folder DIR
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from rails.index.semantic.embedded_model import MAX_TOKENS, VOCAB_FILE

SPECIAL_TOKENS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                  "cls_token": "[CLS]", "mask_token": "[MASK]"}
BERT_CONFIG = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384,
               "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
               "max_position_embeddings": 512, "vocab_size": 30522, "pad_token_id": 0}


def write_fastembed_folder(folder: str | os.PathLike) -> Path:
    from tokenizers import BertWordPieceTokenizer

    from rails.index.semantic.embedded_model import _installed_model_path, _verify

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    source = _installed_model_path()
    _verify(source)
    model = target / "model.onnx"
    if model.is_symlink() or model.exists():
        model.unlink()
    try:
        model.symlink_to(source)
    except OSError:  # no symlinks here (some file systems): a copy works the same
        shutil.copyfile(source, model)
    tokenizer = BertWordPieceTokenizer(str(VOCAB_FILE), lowercase=True, strip_accents=None)
    tokenizer.save(str(target / "tokenizer.json"))
    (target / "config.json").write_text(json.dumps(BERT_CONFIG))
    (target / "special_tokens_map.json").write_text(json.dumps(SPECIAL_TOKENS))
    (target / "tokenizer_config.json").write_text(json.dumps(
        {**SPECIAL_TOKENS, "do_lower_case": True, "model_max_length": MAX_TOKENS}))
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m rails.index.semantic.fastembed_folder DIR")
    print(write_fastembed_folder(sys.argv[1]))
