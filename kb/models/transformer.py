"""The Transformer (Vaswani et al. 2017): encoder-decoder, base and big (Section 3, Table 3).

Written from the paper's equations: multi-head attention is Concat(head_1..h) W^O
with head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V), so its projections have no
biases; the feed-forward network is max(0, x W1 + b1) W2 + b2; each sub-layer is
LayerNorm(x + Sublayer(x)) (post-norm, no final norm); the embeddings are scaled
by sqrt(d_model) and added to sinusoidal positions; source embedding, target
embedding and pre-softmax projection share one weight matrix (Section 3.4),
which needs one vocabulary for both languages (the paper's 37,000-token
byte-pair vocabulary for English-German).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Transformer", "TransformerConfig", "transformer_base", "transformer_big"]


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int = 37000
    layers: int = 6            # N, for the encoder and for the decoder
    d_model: int = 512
    d_ff: int = 2048
    heads: int = 8
    dropout: float = 0.1


class MultiHeadAttention(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.heads = config.heads
        self.query = nn.Linear(config.d_model, config.d_model, bias=False)
        self.key = nn.Linear(config.d_model, config.d_model, bias=False)
        self.value = nn.Linear(config.d_model, config.d_model, bias=False)
        self.output = nn.Linear(config.d_model, config.d_model, bias=False)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, causal: bool = False) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.query(x), self.key(memory), self.value(memory)
        q, k, v = (t.view(batch, -1, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            future = torch.ones(length, k.shape[2], dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        out = scores.softmax(dim=-1) @ v
        return self.output(out.transpose(1, 2).reshape(batch, length, width))


class FeedForward(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.inner = nn.Linear(config.d_model, config.d_ff)
        self.outer = nn.Linear(config.d_ff, config.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.outer(F.relu(self.inner(x)))


class EncoderLayer(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.attention, self.norm1 = MultiHeadAttention(config), nn.LayerNorm(config.d_model)
        self.feed_forward, self.norm2 = FeedForward(config), nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout(self.attention(x, x)))
        return self.norm2(x + self.dropout(self.feed_forward(x)))


class DecoderLayer(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.self_attention, self.norm1 = MultiHeadAttention(config), nn.LayerNorm(config.d_model)
        self.cross_attention, self.norm2 = MultiHeadAttention(config), nn.LayerNorm(config.d_model)
        self.feed_forward, self.norm3 = FeedForward(config), nn.LayerNorm(config.d_model)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout(self.self_attention(x, x, causal=True)))
        x = self.norm2(x + self.dropout(self.cross_attention(x, memory)))
        return self.norm3(x + self.dropout(self.feed_forward(x)))


def sinusoidal_positions(length: int, width: int, device: torch.device) -> torch.Tensor:
    """Section 3.5: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, width, 2, device=device, dtype=torch.float32)
                          * (-math.log(10000.0) / width))
    table = torch.zeros(length, width, device=device)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Transformer(nn.Module):
    """forward(source, target) -> logits: token ids (batch, length) in, (batch, target length, vocab) out."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = nn.ModuleList(EncoderLayer(config) for _ in range(config.layers))
        self.decoder = nn.ModuleList(DecoderLayer(config) for _ in range(config.layers))
        self.dropout = nn.Dropout(config.dropout)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens) * math.sqrt(self.config.d_model)
        return self.dropout(x + sinusoidal_positions(tokens.shape[1], self.config.d_model, tokens.device))

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        memory = self.embed(source)
        for layer in self.encoder:
            memory = layer(memory)
        x = self.embed(target)
        for layer in self.decoder:
            x = layer(x, memory)
        return F.linear(x, self.embedding.weight)   # the pre-softmax projection shares the embedding


def transformer_base(vocab_size: int = 37000) -> Transformer:
    """Transformer base (Table 3): N=6, d_model 512, d_ff 2048, h=8, dropout 0.1.

    Parameters: Table 3 says 65 M. With one shared 37,000-token embedding this
    definition has 63,045,632 (18.9 M of them in the embedding); the paper's
    figure cannot be reached with the shared vocabulary it describes, and the
    paper does not say how it counted.

    Multiply-adds depend on sentence length; kb measures one pair of 32 source
    and 32 target tokens: 2.03 G, 0.61 G of them in the output projection.
    """
    return Transformer(TransformerConfig(vocab_size=vocab_size))


def transformer_big(vocab_size: int = 37000) -> Transformer:
    """Transformer big (Table 3): N=6, d_model 1024, d_ff 4096, h=16, dropout 0.3.

    Parameters: Table 3 says 213 M; this definition, with the shared
    37,000-token embedding, has 214,171,648. Multiply-adds for one pair of 32
    source and 32 target tokens: 6.89 G.
    """
    return Transformer(TransformerConfig(vocab_size=vocab_size, d_model=1024, d_ff=4096, heads=16, dropout=0.3))
