"""ImageNet ResNets (He et al. 2015, Table 1): the paper's layout and torchvision's "v1.5".

The two layouts differ only in where a downsampling bottleneck strides: the
paper ("conv3_1, conv4_1 and conv5_1 with a stride of 2") puts the stride in the
first 1x1 convolution; torchvision moves it to the 3x3 (v1.5), which costs more
multiply-adds and, by its own account, gains some accuracy. Basic blocks have no
1x1 convolution, so ResNet-18/34 are the same network in both layouts.
Shortcuts are identities except where the dimensions change, where a 1x1
projection with batch normalisation is used (the paper's option B).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ResNet", "BasicBlock", "Bottleneck"] + [
    f"resnet{d}{suffix}" for d in (18, 34, 50, 101, 152) for suffix in ("", "_v1_5")]

# Table 1: blocks per stage conv2_x .. conv5_x.
LAYERS: dict[int, tuple[int, int, int, int]] = {
    18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3),
}


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (Figure 5, left)."""

    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1, *, stride_in_3x3: bool = False) -> None:
        super().__init__()
        self.conv1, self.bn1 = conv3x3(in_channels, width, stride), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = conv3x3(width, width), nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = projection(in_channels, width, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand by 4 (Figure 5, right)."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, *, stride_in_3x3: bool = False) -> None:
        super().__init__()
        out_channels = width * self.expansion
        stride1, stride3 = (1, stride) if stride_in_3x3 else (stride, 1)
        self.conv1, self.bn1 = conv1x1(in_channels, width, stride1), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = conv3x3(width, width, stride3), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = conv1x1(width, out_channels), nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = projection(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential | None:
    """Option B: a 1x1 projection only where the shortcut changes shape; identity elsewhere."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock | Bottleneck], layers: tuple[int, int, int, int],
                 num_classes: int = 1000, *, stride_in_3x3: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = 64
        stages = []
        for index, (blocks, width) in enumerate(zip(layers, (64, 128, 256, 512))):
            stage = []
            for position in range(blocks):
                stride = 2 if index > 0 and position == 0 else 1
                stage.append(block(channels, width, stride, stride_in_3x3=stride_in_3x3))
                channels = width * block.expansion
            stages.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _resnet(depth: int, num_classes: int, stride_in_3x3: bool) -> ResNet:
    block = BasicBlock if depth < 50 else Bottleneck
    return ResNet(block, LAYERS[depth], num_classes, stride_in_3x3=stride_in_3x3)


def resnet18(num_classes: int = 1000) -> ResNet:
    """ResNet-18 (Table 1). Table 1 gives 1.8x10^9 FLOPs, which are multiply-adds."""
    return _resnet(18, num_classes, stride_in_3x3=False)


def resnet34(num_classes: int = 1000) -> ResNet:
    """ResNet-34 (Table 1). Table 1 gives 3.6x10^9 FLOPs (multiply-adds).

    Measured: 3.66 G multiply-adds, which rounds to 3.7; the paper's 3.6 is
    within its last digit but looks truncated.
    """
    return _resnet(34, num_classes, stride_in_3x3=False)


def resnet50(num_classes: int = 1000) -> ResNet:
    """ResNet-50 (Table 1), stride in the first 1x1 of each downsampling bottleneck.

    Table 1 gives 3.8x10^9 FLOPs; the paper counts multiply-adds. Measured on
    this definition: 3.86 G multiply-adds (convolutions and the fc layer), which
    rounds to 3.9; the paper's 3.8 is within its last digit but looks truncated.
    torchvision's 4.09 G is the v1.5 layout (`resnet50_v1_5`).
    """
    return _resnet(50, num_classes, stride_in_3x3=False)


def resnet101(num_classes: int = 1000) -> ResNet:
    """ResNet-101 (Table 1). Table 1 gives 7.6x10^9 FLOPs (multiply-adds)."""
    return _resnet(101, num_classes, stride_in_3x3=False)


def resnet152(num_classes: int = 1000) -> ResNet:
    """ResNet-152 (Table 1). Table 1 gives 11.3x10^9 FLOPs (multiply-adds)."""
    return _resnet(152, num_classes, stride_in_3x3=False)


def resnet18_v1_5(num_classes: int = 1000) -> ResNet:
    """ResNet-18 in torchvision's layout: identical to the paper's (basic blocks have no 1x1 to move the stride from)."""
    return _resnet(18, num_classes, stride_in_3x3=True)


def resnet34_v1_5(num_classes: int = 1000) -> ResNet:
    """ResNet-34 in torchvision's layout: identical to the paper's (basic blocks)."""
    return _resnet(34, num_classes, stride_in_3x3=True)


def resnet50_v1_5(num_classes: int = 1000) -> ResNet:
    """ResNet-50 v1.5: the downsampling stride sits in the 3x3 convolution, as in torchvision.

    Same parameters as the paper's layout; the 3x3 of each downsampling block
    runs at the higher resolution, so it costs more multiply-adds (about 4.1 G
    against the paper layout's 3.9 G).
    """
    return _resnet(50, num_classes, stride_in_3x3=True)


def resnet101_v1_5(num_classes: int = 1000) -> ResNet:
    """ResNet-101 v1.5: stride in the 3x3 convolution (torchvision's layout)."""
    return _resnet(101, num_classes, stride_in_3x3=True)


def resnet152_v1_5(num_classes: int = 1000) -> ResNet:
    """ResNet-152 v1.5: stride in the 3x3 convolution (torchvision's layout)."""
    return _resnet(152, num_classes, stride_in_3x3=True)
