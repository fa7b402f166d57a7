"""Small networks ready to train: LeNet-5, a 1-D CNN for time series, a character CNN for text, a
small residual network and a small U-Net that denoises images."""

from __future__ import annotations

from sigconv import autograd as _ag
from sigconv import nn

__all__ = ["LeNet5", "TimeSeriesCNN", "CharCNN", "BasicBlock", "SmallResNet", "UNet"]


class LeNet5(nn.Module):
    """LeCun et al.'s LeNet-5 as usually written in torch: conv 5x5 (6) - pool - conv 5x5 (16) -
    pool - 120 - 84 - classes, with ReLU and max pooling.

    ``input_size=32`` is the classic network (61,706 parameters for 10 classes). Smaller inputs (the
    8x8 digits) pad each convolution by 2 so that the feature maps keep their size.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv.models import LeNet5
    >>> LeNet5()(sigconv.tensor(np.zeros((2, 1, 32, 32), np.float32))).shape
    (2, 10)
    """

    def __init__(self, num_classes=10, in_channels=1, input_size=32):
        super().__init__()
        pad = 0 if input_size >= 28 else 2
        size = input_size
        size = (size + 2 * pad - 4) // 2
        size = (size + 2 * pad - 4) // 2
        if size < 1:
            raise ValueError(f"input_size={input_size} is too small for LeNet-5")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=pad),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=pad),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * size * size, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class TimeSeriesCNN(nn.Module):
    """A 1-D CNN for fixed-length series ``(N, C, L)``: ``len(channels)`` blocks of Conv1d ('same'
    padding) + BatchNorm + ReLU, a max pool by 2 after each but the last, then a linear classifier.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv.models import TimeSeriesCNN
    >>> TimeSeriesCNN(length=40)(sigconv.tensor(np.zeros((3, 1, 40), np.float32))).shape
    (3, 10)
    """

    def __init__(self, in_channels=1, num_classes=10, length=40, channels=(32, 64, 64), kernel_size=5, dropout=0.0):
        super().__init__()
        layers = []
        c, n = in_channels, length
        for i, width in enumerate(channels):
            layers += [nn.Conv1d(c, width, kernel_size, padding=kernel_size // 2), nn.BatchNorm1d(width), nn.ReLU()]
            if i < len(channels) - 1:
                layers.append(nn.MaxPool1d(2))
                n //= 2
            c = width
        self.features = nn.Sequential(*layers)
        head = [nn.Flatten()]
        if dropout:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(c * n, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):
        return self.classifier(self.features(x))


class CharCNN(nn.Module):
    """A character CNN for short texts given one-hot ``(N, num_chars, length)`` (see
    :func:`sigconv.data.encode_chars`): two Conv1d + ReLU layers, a max over all positions, and a
    linear classifier.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv.models import CharCNN
    >>> CharCNN(num_chars=61, num_classes=8, length=32)(sigconv.tensor(np.zeros((2, 61, 32), np.float32))).shape
    (2, 8)
    """

    def __init__(self, num_chars=61, num_classes=8, length=32, channels=128, kernel_size=3, dropout=0.0):
        super().__init__()
        self.conv1 = nn.Conv1d(num_chars, channels, kernel_size, padding=kernel_size // 2)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
        self.pool = nn.MaxPool1d(length)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        h = self.conv1(x).relu()
        h = self.conv2(h).relu()
        h = self.pool(h).flatten(1)
        return self.fc(self.drop(h))


class BasicBlock(nn.Module):
    """Residual block: conv3x3-BN-ReLU-conv3x3-BN plus the input (through a 1x1 conv when the shape
    changes), then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        h = self.bn1(self.conv1(x)).relu()
        h = self.bn2(self.conv2(h))
        return (h + self.shortcut(x)).relu()


class SmallResNet(nn.Module):
    """A small residual network: a 3x3 stem, one stage of ``blocks`` :class:`BasicBlock` s per entry
    of ``widths`` (stride 2 from the second stage on), global average pooling and a linear layer.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv.models import SmallResNet
    >>> SmallResNet(widths=(8, 16))(sigconv.tensor(np.zeros((2, 1, 8, 8), np.float32))).shape
    (2, 10)
    """

    def __init__(self, num_classes=10, in_channels=1, widths=(16, 32, 64), blocks=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages = []
        c = widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks):
                stages.append(BasicBlock(c, w, stride=2 if (i > 0 and j == 0) else 1))
                c = w
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        h = self.stages(self.stem(x))
        return self.fc(self.pool(h).flatten(1))


def _double_conv(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """A small U-Net (Ronneberger et al.) for image-to-image tasks such as denoising: ``depth``
    down steps (double 3x3 conv, max pool), a bottleneck, and up steps (2x2 transposed conv,
    concatenation with the skip connection, double conv), then a 1x1 conv.

    With ``residual=True`` the network predicts the noise and returns ``input - noise``. Height and
    width must be divisible by ``2 ** depth``.

    Examples
    --------
    >>> import numpy as np, sigconv
    >>> from sigconv.models import UNet
    >>> UNet(base=4)(sigconv.tensor(np.zeros((1, 1, 16, 16), np.float32))).shape
    (1, 1, 16, 16)
    """

    def __init__(self, in_channels=1, out_channels=1, base=16, depth=2, residual=True):
        super().__init__()
        self.depth, self.residual = depth, residual
        self.down = nn.ModuleList()
        self.pool = nn.MaxPool2d(2)
        c = in_channels
        widths = [base * 2**i for i in range(depth)]
        for w in widths:
            self.down.append(_double_conv(c, w))
            c = w
        self.bottleneck = _double_conv(c, c * 2)
        c = c * 2
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for w in reversed(widths):
            self.up.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.merge.append(_double_conv(2 * w, w))
            c = w
        self.head = nn.Conv2d(c, out_channels, 1)

    def forward(self, x):
        h = x
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottleneck(h)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            h = merge(_ag.cat([up(h), skip], dim=1))
        out = self.head(h)
        return x - out if self.residual else out
