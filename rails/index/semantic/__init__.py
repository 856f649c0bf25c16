"""Semantic search over sentence vectors: the embedded model of `dialog-rails[semantic]`,
FastEmbed or sentence-transformers, exact numpy search, vectors cached on disk. Nothing here is
imported until a semantic index is built (numpy and onnxruntime load then).

`minilm_vocab.txt` is the WordPiece vocabulary of all-MiniLM-L6-v2 (sentence-transformers,
Apache-2.0; the uncased BERT vocabulary by Google, Apache-2.0), shipped so that tokenizing
needs no download."""
