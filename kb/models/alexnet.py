"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) and its single-tower descendant (Krizhevsky 2014)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

__all__ = ["AlexNet", "alexnet", "alexnet_onetower", "alexnet_owt"]


class ConvLayer(NamedTuple):
    out_channels: int
    kernel_size: int
    stride: int
    padding: int
    groups: int
    lrn: bool          # local response normalisation after the ReLU
    pool: bool         # overlapping 3x3/2 max pooling after that


# Section 3.5: conv2, conv4 and conv5 see only the kernel maps on their own GPU (groups=2);
# conv3 and the fully connected layers see both. LRN follows conv1 and conv2, max pooling
# follows both LRN layers and conv5. Section 3.3: k=2, n=5, alpha=1e-4, beta=0.75.
PAPER: tuple[ConvLayer, ...] = (
    ConvLayer(96, 11, 4, 0, 1, lrn=True, pool=True),
    ConvLayer(256, 5, 1, 2, 2, lrn=True, pool=True),
    ConvLayer(384, 3, 1, 1, 1, lrn=False, pool=False),
    ConvLayer(384, 3, 1, 1, 2, lrn=False, pool=False),
    ConvLayer(256, 3, 1, 1, 2, lrn=False, pool=True),
)
ONE_TOWER = tuple(layer._replace(groups=1) for layer in PAPER)
# The one-column network of the 2014 paper as torchvision defines it: 64/192/384/256/256
# filters, no LRN, padding 2 on conv1 so that a 224x224 input reaches a 6x6 map.
ONE_WEIRD_TRICK: tuple[ConvLayer, ...] = (
    ConvLayer(64, 11, 4, 2, 1, lrn=False, pool=True),
    ConvLayer(192, 5, 1, 2, 1, lrn=False, pool=True),
    ConvLayer(384, 3, 1, 1, 1, lrn=False, pool=False),
    ConvLayer(256, 3, 1, 1, 1, lrn=False, pool=False),
    ConvLayer(256, 3, 1, 1, 1, lrn=False, pool=True),
)


class AlexNet(nn.Module):
    """Five convolutions, three fully connected layers; the classifier expects a 6x6 map."""

    def __init__(self, layers: tuple[ConvLayer, ...], num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        in_channels = 3
        for layer in layers:
            blocks += [nn.Conv2d(in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                 layer.padding, groups=layer.groups), nn.ReLU(inplace=True)]
            if layer.lrn:
                blocks.append(nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0))
            if layer.pool:
                blocks.append(nn.MaxPool2d(kernel_size=3, stride=2))
            in_channels = layer.out_channels
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(in_channels * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def alexnet(num_classes: int = 1000) -> AlexNet:
    """AlexNet as in the paper (Section 3.5, Figure 2): two towers, LRN, 227x227 input.

    The two GPUs are modelled as grouped convolutions (groups=2 for conv2, conv4,
    conv5); conv3 and the fully connected layers connect across towers.

    Input size: the paper's text says 224x224x3, but with an 11x11 stride-4
    unpadded first convolution only 227x227 reaches the 6x6x256 map that the
    first fully connected layer's 9,216 inputs need; 224x224 gives 5x5x256 =
    6,400. Measuring runs both and reports the mismatch.

    Parameters: the paper says "60 million"; this definition has 60,965,224
    (the count depends on the biases and on which layers cross towers, which
    the paper describes only in words).
    """
    return AlexNet(PAPER, num_classes)


def alexnet_onetower(num_classes: int = 1000) -> AlexNet:
    """The paper's widths (96/256/384/384/256) as one tower: every convolution sees all input maps.

    Ungrouping conv2, conv4 and conv5 doubles their weights, so this variant has
    more parameters and multiply-adds than the two-tower network.
    """
    return AlexNet(ONE_TOWER, num_classes)


def alexnet_owt(num_classes: int = 1000) -> AlexNet:
    """The single-column AlexNet of "One weird trick" (Krizhevsky 2014), in torchvision's layout.

    64/192/384/256/256 filters, no LRN, 224x224 input (conv1 padded by 2).
    torchvision adds an adaptive average pool before the classifier, which is
    the identity at 224x224 and is left out here.
    """
    return AlexNet(ONE_WEIRD_TRICK, num_classes)
