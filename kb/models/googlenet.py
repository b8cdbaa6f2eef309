"""GoogLeNet, the Inception v1 network (Szegedy et al. 2014, Table 1, Figure 3, Section 5)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "INCEPTION", "googlenet"]


class InceptionConfig(NamedTuple):
    """One row of Table 1: the output channels of each branch."""

    conv1x1: int
    reduce3x3: int
    conv3x3: int
    reduce5x5: int
    conv5x5: int
    pool_proj: int


INCEPTION: dict[str, InceptionConfig] = {
    "3a": InceptionConfig(64, 96, 128, 16, 32, 32),
    "3b": InceptionConfig(128, 128, 192, 32, 96, 64),
    "4a": InceptionConfig(192, 96, 208, 16, 48, 64),
    "4b": InceptionConfig(160, 112, 224, 24, 64, 64),
    "4c": InceptionConfig(128, 128, 256, 24, 64, 64),
    "4d": InceptionConfig(112, 144, 288, 32, 64, 64),
    "4e": InceptionConfig(256, 160, 320, 32, 128, 128),
    "5a": InceptionConfig(256, 160, 320, 32, 128, 128),
    "5b": InceptionConfig(384, 192, 384, 48, 128, 128),
}


def conv_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    """Every convolution in GoogLeNet, "including those inside the Inception modules, uses rectified linear activation"."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2),
                         nn.ReLU(inplace=True))


def lrn() -> nn.LocalResponseNorm:
    return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75)


def max_pool(stride: int = 2) -> nn.MaxPool2d:
    # Table 1's map sizes (112 -> 56 -> 28 -> 14 -> 7) need the pooling output rounded up.
    return nn.MaxPool2d(kernel_size=3, stride=stride, padding=0 if stride == 2 else 1, ceil_mode=True)


class Inception(nn.Module):
    """Four parallel branches concatenated along channels (Figure 2b)."""

    def __init__(self, in_channels: int, config: InceptionConfig) -> None:
        super().__init__()
        self.branch1 = conv_relu(in_channels, config.conv1x1, 1)
        self.branch2 = nn.Sequential(conv_relu(in_channels, config.reduce3x3, 1),
                                     conv_relu(config.reduce3x3, config.conv3x3, 3))
        self.branch3 = nn.Sequential(conv_relu(in_channels, config.reduce5x5, 1),
                                     conv_relu(config.reduce5x5, config.conv5x5, 5))
        self.branch4 = nn.Sequential(max_pool(stride=1), conv_relu(in_channels, config.pool_proj, 1))
        self.out_channels = config.conv1x1 + config.conv3x3 + config.conv5x5 + config.pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class AuxClassifier(nn.Module):
    """Section 5: 5x5/3 average pool, 1x1 conv with 128 filters, FC-1024, 70% dropout, linear classifier."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size=5, stride=3)
        self.conv = conv_relu(in_channels, 128, 1)
        self.fc = nn.Sequential(nn.Linear(128 * 4 * 4, 1024), nn.ReLU(inplace=True), nn.Dropout(0.7),
                                nn.Linear(1024, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.conv(self.pool(x)), 1))


class GoogLeNetOutputs(NamedTuple):
    logits: torch.Tensor
    aux_logits2: torch.Tensor   # from the classifier on 4d
    aux_logits1: torch.Tensor   # from the classifier on 4a


class GoogLeNet(nn.Module):
    def __init__(self, num_classes: int = 1000, aux_logits: bool = True, dropout: float = 0.4) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            conv_relu(3, 64, 7, stride=2), max_pool(), lrn(),
            conv_relu(64, 64, 1), conv_relu(64, 192, 3), lrn(), max_pool(),
        )
        channels = 192
        stages: dict[str, nn.Module] = {}
        widths: dict[str, int] = {}
        for name, config in INCEPTION.items():
            if name in ("4a", "5a"):
                stages[f"pool{name[0]}"] = max_pool()
            stages[f"inception{name}"] = block = Inception(channels, config)
            channels = widths[name] = block.out_channels
        self.inception3 = nn.Sequential(stages["inception3a"], stages["inception3b"], stages["pool4"])
        self.inception4a = stages["inception4a"]
        self.inception4bcd = nn.Sequential(stages["inception4b"], stages["inception4c"], stages["inception4d"])
        self.inception4e = nn.Sequential(stages["inception4e"], stages["pool5"])
        self.inception5 = nn.Sequential(stages["inception5a"], stages["inception5b"])
        self.aux1 = AuxClassifier(widths["4a"], num_classes) if aux_logits else None
        self.aux2 = AuxClassifier(widths["4d"], num_classes) if aux_logits else None
        self.head = nn.Sequential(nn.AvgPool2d(kernel_size=7), nn.Flatten(1), nn.Dropout(dropout),
                                  nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        x = self.inception4a(self.inception3(self.stem(x)))
        aux1 = self.aux1(x) if self.training and self.aux1 is not None else None
        x = self.inception4bcd(x)
        aux2 = self.aux2(x) if self.training and self.aux2 is not None else None
        logits = self.head(self.inception5(self.inception4e(x)))
        if aux1 is not None and aux2 is not None:
            return GoogLeNetOutputs(logits, aux2, aux1)
        return logits


def googlenet(num_classes: int = 1000, aux_logits: bool = True) -> GoogLeNet:
    """GoogLeNet as in Table 1, with LRN where Figure 3 has it and 5x5 convolutions in the third branch.

    The two auxiliary classifiers (Section 5) exist in training mode only; in
    eval mode the network returns the main logits, and measurement counts only
    what that output depends on (depth 22, as the paper says, and the
    parameters of the inference network).

    Table 1's parameter column sums to about 6.8 M and its "ops" column to about
    1.5 G multiply-adds (the text's "1.5 billion multiply-adds"); neither column
    counts biases. This definition measures 6,998,552 parameters and 1.58 G
    multiply-adds for the inference network; the auxiliary classifiers hold
    another 6,379,728 parameters.
    """
    return GoogLeNet(num_classes, aux_logits)
