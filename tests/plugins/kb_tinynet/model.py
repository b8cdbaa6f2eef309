"""TinyNet-3: two 3x3 convolutions and a classifier on 1x8x8 inputs."""

import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(torch.relu(self.conv2(torch.relu(self.conv1(x)))), 1))


def tinynet(num_classes: int = 4) -> TinyNet:
    """TinyNet-3: 3 weight layers, 1,216 parameters."""
    return TinyNet(num_classes)
