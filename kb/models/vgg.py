"""VGG configurations A, A-LRN, B, C, D, E (Simonyan & Zisserman 2014, Table 1)."""

from __future__ import annotations

from typing import Union

import torch
from torch import nn

__all__ = ["VGG", "CONFIGS", "vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19"]

# Table 1, one entry per layer: an int is a 3x3 convolution with that many channels,
# (1, n) a 1x1 convolution (configuration C), "M" a 2x2/2 max pool, "LRN" local
# response normalisation (configuration A-LRN, after the first convolution).
Layer = Union[int, tuple[int, int], str]
CONFIGS: dict[str, tuple[Layer, ...]] = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "A-LRN": (64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "C": (64, 64, "M", 128, 128, "M", 256, 256, (1, 256), "M", 512, 512, (1, 512), "M",
          512, 512, (1, 512), "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"),
}


def make_features(config: tuple[Layer, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_channels = 3
    for layer in config:
        if layer == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif layer == "LRN":
            # Section 2.1 points to AlexNet's normalisation: k=2, n=5, alpha=1e-4, beta=0.75.
            layers.append(nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
        else:
            kernel, channels = layer if isinstance(layer, tuple) else (3, layer)
            layers += [nn.Conv2d(in_channels, channels, kernel, padding=kernel // 2), nn.ReLU(inplace=True)]
            in_channels = channels
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Convolutional stack, then FC-4096, FC-4096, FC-1000 on the 7x7x512 map of a 224x224 input."""

    def __init__(self, config: tuple[Layer, ...], num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = make_features(config)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def vgg11(num_classes: int = 1000) -> VGG:
    """VGG-11, configuration A (Table 1): 8 conv + 3 fc. Table 2: 133 M parameters."""
    return VGG(CONFIGS["A"], num_classes)


def vgg11_lrn(num_classes: int = 1000) -> VGG:
    """VGG-11 with LRN, configuration A-LRN (Table 1). LRN has no weights: Table 2 gives 133 M, as for A."""
    return VGG(CONFIGS["A-LRN"], num_classes)


def vgg13(num_classes: int = 1000) -> VGG:
    """VGG-13, configuration B (Table 1): 10 conv + 3 fc. Table 2: 133 M parameters."""
    return VGG(CONFIGS["B"], num_classes)


def vgg16_c(num_classes: int = 1000) -> VGG:
    """VGG-16, configuration C (Table 1): blocks 3-5 end in a 1x1 convolution. Table 2: 134 M parameters."""
    return VGG(CONFIGS["C"], num_classes)


def vgg16(num_classes: int = 1000) -> VGG:
    """VGG-16, configuration D (Table 1), the one usually meant by "VGG-16". Table 2: 138 M parameters."""
    return VGG(CONFIGS["D"], num_classes)


def vgg19(num_classes: int = 1000) -> VGG:
    """VGG-19, configuration E (Table 1): 16 conv + 3 fc. Table 2: 144 M parameters."""
    return VGG(CONFIGS["E"], num_classes)
