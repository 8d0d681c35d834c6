"""Large graphs for benchmarks, built through the graph API like a user (or importer) would."""

from __future__ import annotations

from app.core.graph import Graph

# (expand ratio, output channels, repeats, stride, kernel): EfficientNetB0's block table.
B0_BLOCKS = [(1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
             (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)]


def efficientnet_b0_like(size: int = 224, classes: int = 10) -> Graph:
    """EfficientNetB0's layer structure (MBConv blocks, squeeze-excite, skips, padding)
    plus a small dense head: about 250 nodes."""
    graph = Graph()
    y = 0.0

    def add(cls: str, inputs: list[str], **config: object) -> str:
        nonlocal y
        y += 60.0
        node = graph.add_node(cls, config=config, position=(0.0, y))
        port = "inputs" if cls in ("Add", "Multiply") else "input"
        for source in inputs:
            graph.connect(source, node.id, port)
        return node.id

    x = add("InputLayer", [], batch_shape=[None, size, size, 3])
    x = add("Rescaling", [x], scale=1 / 255)
    x = add("Normalization", [x], mean=[0.485, 0.456, 0.406], variance=[0.052, 0.05, 0.051])
    x = add("ZeroPadding2D", [x], padding=[[0, 1], [0, 1]])
    x = add("Conv2D", [x], filters=32, kernel_size=[3, 3], strides=[2, 2], padding="valid", use_bias=False)
    x = add("BatchNormalization", [x])
    x = add("Activation", [x], activation="swish")
    channels = 32
    for expand, out, repeats, stride, kernel in B0_BLOCKS:
        for r in range(repeats):
            block_in = x
            s = stride if r == 0 else 1
            hidden = channels * expand
            if expand != 1:
                x = add("Conv2D", [x], filters=hidden, kernel_size=[1, 1], padding="same", use_bias=False)
                x = add("BatchNormalization", [x])
                x = add("Activation", [x], activation="swish")
            if s == 2:
                pad = kernel // 2
                x = add("ZeroPadding2D", [x], padding=[[pad - 1, pad], [pad - 1, pad]])
            x = add("DepthwiseConv2D", [x], kernel_size=[kernel, kernel], strides=[s, s],
                    padding="valid" if s == 2 else "same", use_bias=False)
            x = add("BatchNormalization", [x])
            x = add("Activation", [x], activation="swish")
            se = add("GlobalAveragePooling2D", [x])
            se = add("Reshape", [se], target_shape=[1, 1, hidden])
            se = add("Conv2D", [se], filters=max(1, channels // 4), kernel_size=[1, 1], activation="swish")
            se = add("Conv2D", [se], filters=hidden, kernel_size=[1, 1], activation="sigmoid")
            x = add("Multiply", [x, se])
            x = add("Conv2D", [x], filters=out, kernel_size=[1, 1], padding="same", use_bias=False)
            x = add("BatchNormalization", [x])
            if s == 1 and channels == out:
                x = add("Dropout", [x], rate=0.2)
                x = add("Add", [x, block_in])
            channels = out
    x = add("Conv2D", [x], filters=1280, kernel_size=[1, 1], padding="same", use_bias=False)
    x = add("BatchNormalization", [x])
    x = add("Activation", [x], activation="swish")
    x = add("GlobalAveragePooling2D", [x])
    x = add("Dropout", [x], rate=0.2)
    # A small classifier head on top, as in a transfer-learning project: ~250 nodes in all.
    for width in (512, 256, 128):
        x = add("Dense", [x], units=width)
        x = add("BatchNormalization", [x])
        x = add("Activation", [x], activation="relu")
    add("Dense", [x], units=classes, activation="softmax")
    return graph
