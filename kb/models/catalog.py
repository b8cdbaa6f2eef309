"""The built-in reference models: papers, families, variants (plain data, no torch).

Each entry names its builder in the family module; the builder's docstring says
how the definition follows the paper and where the paper's own numbers cannot be
reproduced.
"""

from __future__ import annotations

from kb.models.registry import FamilySpec, ModelSpec, Paper

KRIZHEVSKY2012 = Paper(
    key="krizhevsky2012",
    authors="Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton",
    title="ImageNet Classification with Deep Convolutional Neural Networks",
    year=2012,
    venue="NIPS 2012",
    url="https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks",
)
KRIZHEVSKY2014 = Paper(
    key="krizhevsky2014",
    authors="Alex Krizhevsky",
    title="One weird trick for parallelizing convolutional neural networks",
    year=2014,
    venue="arXiv:1404.5997",
    url="https://arxiv.org/abs/1404.5997",
)
SIMONYAN2014 = Paper(
    key="simonyan2014",
    authors="Karen Simonyan, Andrew Zisserman",
    title="Very Deep Convolutional Networks for Large-Scale Image Recognition",
    year=2014,
    venue="arXiv:1409.1556 (ICLR 2015)",
    url="https://arxiv.org/abs/1409.1556",
)
SZEGEDY2014 = Paper(
    key="szegedy2014",
    authors=("Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir Anguelov, "
             "Dumitru Erhan, Vincent Vanhoucke, Andrew Rabinovich"),
    title="Going Deeper with Convolutions",
    year=2014,
    venue="arXiv:1409.4842 (CVPR 2015)",
    url="https://arxiv.org/abs/1409.4842",
)
HE2015 = Paper(
    key="he2015",
    authors="Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun",
    title="Deep Residual Learning for Image Recognition",
    year=2015,
    venue="arXiv:1512.03385 (CVPR 2016)",
    url="https://arxiv.org/abs/1512.03385",
)
VASWANI2017 = Paper(
    key="vaswani2017",
    authors=("Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit, Llion Jones, Aidan N. Gomez, "
             "Lukasz Kaiser, Illia Polosukhin"),
    title="Attention Is All You Need",
    year=2017,
    venue="arXiv:1706.03762 (NIPS 2017)",
    url="https://arxiv.org/abs/1706.03762",
)

IMAGENET = (3, 224, 224)

# --- AlexNet -----------------------------------------------------------------------------------

_ALEXNET = (
    ModelSpec(
        id="alexnet", name="AlexNet", family="alexnet", builder="kb.models.alexnet:alexnet",
        paper=KRIZHEVSKY2012, where="Section 3.5 and Figure 2", input_shape=(3, 227, 227),
        aliases=("AlexNet (two towers)", "AlexNet two-GPU", "SuperVision"),
        probe_shapes=(IMAGENET,),
        summary="the paper's network: two GPU towers (grouped conv2, conv4, conv5), LRN, overlapping pooling",
    ),
    ModelSpec(
        id="alexnet_onetower", name="AlexNet (one tower)", family="alexnet",
        builder="kb.models.alexnet:alexnet_onetower", paper=KRIZHEVSKY2012, where="Section 3.5 and Figure 2",
        input_shape=(3, 227, 227), aliases=("AlexNet one-tower", "AlexNet ungrouped", "AlexNet single-GPU"),
        summary="the paper's widths with every convolution ungrouped",
    ),
    ModelSpec(
        id="alexnet_owt", name="AlexNet (one weird trick)", family="alexnet",
        builder="kb.models.alexnet:alexnet_owt", paper=KRIZHEVSKY2014, where="single-column network",
        input_shape=IMAGENET, aliases=("AlexNet OWT", "AlexNet v2", "torchvision AlexNet", "One weird trick AlexNet"),
        summary="single tower with 64/192/384/256/256 filters, no LRN, 224x224 input",
    ),
)

# --- VGG ---------------------------------------------------------------------------------------

def _vgg(id: str, name: str, config: str, *aliases: str, summary: str) -> ModelSpec:
    return ModelSpec(id=id, name=name, family="vgg", builder=f"kb.models.vgg:{id}", paper=SIMONYAN2014,
                     where=f"Table 1, configuration {config}", input_shape=IMAGENET,
                     aliases=(f"VGG {config}", f"VGGNet-{name[4:]}", *aliases), summary=summary)


_VGG = (
    _vgg("vgg11", "VGG-11", "A", "VGG11", summary="configuration A: 8 conv + 3 fc"),
    _vgg("vgg11_lrn", "VGG-11-LRN", "A-LRN", "VGG-11 (LRN)", "VGG-A-LRN",
         summary="configuration A with local response normalisation after the first conv"),
    _vgg("vgg13", "VGG-13", "B", summary="configuration B: 10 conv + 3 fc"),
    _vgg("vgg16_c", "VGG-16-C", "C", "VGG-16 (C)", "VGG-16 config C",
         summary="configuration C: 1x1 convolutions as the third conv of blocks 3-5"),
    _vgg("vgg16", "VGG-16", "D", "VGG16 (D)", "VGG-16 (D)", summary="configuration D: 13 conv (3x3) + 3 fc"),
    _vgg("vgg19", "VGG-19", "E", "VGG-19 (E)", summary="configuration E: 16 conv + 3 fc"),
)

# --- GoogLeNet ---------------------------------------------------------------------------------

_GOOGLENET = (
    ModelSpec(
        id="googlenet", name="GoogLeNet", family="googlenet", builder="kb.models.googlenet:googlenet",
        paper=SZEGEDY2014, where="Table 1 and Section 5", input_shape=IMAGENET,
        aliases=("Inception v1", "Inception-v1", "InceptionV1", "GoogleNet"),
        summary="nine Inception modules; two auxiliary classifiers used only in training",
    ),
)

# --- ResNet (ImageNet and CIFAR) ---------------------------------------------------------------

_RESNET_DEPTHS = (18, 34, 50, 101, 152)


def _resnet(depth: int) -> ModelSpec:
    return ModelSpec(
        id=f"resnet{depth}", name=f"ResNet-{depth}", family="resnet",
        builder=f"kb.models.resnet:resnet{depth}", paper=HE2015, where=f"Table 1, {depth}-layer column",
        input_shape=IMAGENET, aliases=(f"ResNet {depth}", f"{depth}-layer ResNet", f"ResNet-{depth} v1"),
        summary=("basic blocks" if depth < 50 else "bottleneck blocks")
        + "; projection shortcuts only where dimensions change",
    )


def _resnet_v1_5(depth: int) -> ModelSpec:
    return ModelSpec(
        id=f"resnet{depth}_v1_5", name=f"ResNet-{depth} v1.5", family="resnet",
        builder=f"kb.models.resnet:resnet{depth}_v1_5", paper=HE2015,
        where=f"Table 1, {depth}-layer column, with torchvision's stride placement", input_shape=IMAGENET,
        aliases=(f"ResNet-{depth} (torchvision)", f"torchvision ResNet-{depth}"),
        summary="downsampling stride in the 3x3 convolution of the bottleneck (torchvision's layout)",
    )


def _resnet_cifar(depth: int) -> ModelSpec:
    return ModelSpec(
        id=f"resnet{depth}", name=f"ResNet-{depth}", family="resnet_cifar",
        builder=f"kb.models.resnet_cifar:resnet{depth}", paper=HE2015,
        where="Section 4.2 (CIFAR-10) and Table 6", input_shape=(3, 32, 32),
        aliases=(f"ResNet {depth}", f"CIFAR ResNet-{depth}", f"{depth}-layer ResNet"),
        summary=f"6n+2 layers with n={(depth - 2) // 6}; parameter-free (zero-padding) shortcuts",
    )


_RESNET = tuple(_resnet(d) for d in _RESNET_DEPTHS) + tuple(_resnet_v1_5(d) for d in _RESNET_DEPTHS)
_RESNET_CIFAR = tuple(_resnet_cifar(d) for d in (20, 32, 44, 56, 110, 1202))

# --- Transformer -------------------------------------------------------------------------------

# Multiply-adds grow with sequence length; measurements use one sentence pair of
# 32 source and 32 target tokens (close to the length of a typical WMT sentence).
TRANSFORMER_TOKENS = 32

_TRANSFORMER_DEPTH = dict(
    depth_unit="encoder/decoder layers",
    depth_modules=(("EncoderLayer", "encoder"), ("DecoderLayer", "decoder")),
    input_shape=(TRANSFORMER_TOKENS,), input_dtype="int64", input_count=2,
    input_note=f"one sentence pair: {TRANSFORMER_TOKENS} source and {TRANSFORMER_TOKENS} target tokens",
)

_TRANSFORMER = (
    ModelSpec(
        id="transformer_base", name="Transformer (base)", family="transformer",
        builder="kb.models.transformer:transformer_base", paper=VASWANI2017, where="Section 3 and Table 3, base",
        aliases=("Transformer base", "Transformer-base", "base Transformer", "Transformer (base model)"),
        summary="N=6, d_model 512, d_ff 2048, 8 heads; shared 37,000-token embedding",
        **_TRANSFORMER_DEPTH,
    ),
    ModelSpec(
        id="transformer_big", name="Transformer (big)", family="transformer",
        builder="kb.models.transformer:transformer_big", paper=VASWANI2017, where="Section 3 and Table 3, big",
        aliases=("Transformer big", "Transformer-big", "big Transformer", "Transformer (big model)"),
        summary="N=6, d_model 1024, d_ff 4096, 16 heads; shared 37,000-token embedding",
        **_TRANSFORMER_DEPTH,
    ),
)

MODELS: tuple[ModelSpec, ...] = _ALEXNET + _VGG + _GOOGLENET + _RESNET + _RESNET_CIFAR + _TRANSFORMER


def _variants(family: str) -> tuple[str, ...]:
    return tuple(model.id for model in MODELS if model.family == family)


FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(id="alexnet", name="AlexNet", paper=KRIZHEVSKY2012, year=2012, aliases=("SuperVision",),
               variants=_variants("alexnet"), summary="eight weight layers trained on two GPUs"),
    FamilySpec(id="vgg", name="VGG", paper=SIMONYAN2014, year=2014,
               aliases=("VGGNet", "VGG-Net", "VGG Net", "OxfordNet", "VGG nets"),
               variants=_variants("vgg"), summary="stacks of 3x3 convolutions, 11 to 19 weight layers"),
    FamilySpec(id="googlenet", name="GoogLeNet", paper=SZEGEDY2014, year=2014,
               aliases=("Inception", "Inception v1", "Inception-v1", "GoogleNet"),
               variants=_variants("googlenet"), summary="Inception modules: parallel 1x1, 3x3, 5x5 and pooling"),
    FamilySpec(id="resnet", name="ResNet", paper=HE2015, year=2015,
               aliases=("Residual Network", "Residual Networks", "ResNets", "Deep Residual Network"),
               variants=_variants("resnet"), summary="residual blocks with identity shortcuts (ImageNet)"),
    FamilySpec(id="resnet_cifar", name="CIFAR ResNet", paper=HE2015, year=2015,
               aliases=("ResNet (CIFAR-10)", "CIFAR-10 ResNet", "CIFAR ResNets"),
               variants=_variants("resnet_cifar"), summary="6n+2-layer residual networks for 32x32 images"),
    FamilySpec(id="transformer", name="Transformer", paper=VASWANI2017, year=2017,
               aliases=("Transformers", "Transformer model"),
               variants=_variants("transformer"), summary="encoder-decoder built on attention alone"),
)
