"""Under each gallery chapter's title, one line naming the study note and section it follows.

The five notes are the Chinese study notes the library was built from (``shared/seeds/``,
files ``000_…`` to ``004_…``). ``FOLLOWS`` maps a chapter's script name to the notes' sections
it follows: ``(note, heading, gloss)``, with the note's number (its file's prefix), the
section's heading quoted as the note writes it, and a short English gloss of that heading.
``note`` is ``None`` for a chapter beyond the notes; then ``heading`` says in Chinese, and
``gloss`` in English, what the chapter covers instead.

The line is added to the page when it is written (``doctree-resolved``), in the language of the
build (``-D language=zh_CN`` for the Chinese edition), so the gallery scripts and the gettext
catalogs are left as they are. It is a paragraph of class ``lw-follows`` (see layerwise.css).
"""
from __future__ import annotations

import re

#: The notes: their English and Chinese short titles.
NOTES = {
    0: ("TensorFlow 1 essentials", "TensorFlow 1 要点"),
    1: ("one sigmoid layer and the Keras workflow", "单层网络与 Keras 流程"),
    2: ("MLP and backpropagation", "多层感知机与反向传播"),
    3: ("neural-network essentials", "神经网络精要"),
    4: ("notes on Nielsen's book", "Nielsen《神经网络与深度学习》笔记"),
}

#: chapter script name -> the notes' sections it follows: (note, heading as in the note, gloss).
FOLLOWS: dict[str, list[tuple[int | None, str, str]]] = {
    "plot_01_first_model": [(1, "搭建神經網路", "building a network: the tf.keras workflow")],
    "plot_02_neuron_delta_rule": [(0, "1 神经元模型", "the neuron model"),
                                  (1, "梯度下降", "gradient descent, one example and many")],
    "plot_03_activations": [(0, "1 神经元模型", "the neuron model, layers and parameters"),
                            (3, "激活函数", "activation functions")],
    "plot_04_losses": [(0, "2 损失函数(loss)", "loss functions"),
                       (4, "1、使用交叉熵代价函数", "the cross-entropy cost")],
    "plot_05_custom_loss": [(0, "2.2 自定义损失函数", "a loss of your own")],
    "plot_06_backpropagation": [(2, "BP神经网络", "the backpropagation network"),
                                (4, "(3)反向传播四个基本公式", "the four equations of backpropagation")],
    "plot_07_optimizers": [(2, "性能优化", "momentum, AdaGrad, RMSProp and Adam"),
                           (3, "优化器", "optimizers")],
    "plot_08_schedules": [(0, "3.1 指数衰减学习率", "an exponentially decaying learning rate")],
    "plot_09_regularization": [(0, "5 正则化", "regularisation"), (2, "算法拓展", "weight decay"),
                               (3, "Dropout", "dropout"), (3, "Max-Norm Regularization", "max-norm")],
    "plot_10_batch_norm": [(3, "Batch Normalization", "batch normalisation")],
    "plot_11_initialization": [(3, "梯度爆炸梯度消失", "exploding and vanishing gradients"),
                               (4, "4、权重初始化", "weight initialisation")],
    "plot_12_gradient_clipping": [(3, "梯度裁剪(Gradient Clipping)", "gradient clipping")],
    "plot_13_ema": [(0, "4 滑动平均", "the moving average")],
    "plot_14_early_stopping": [(4, "(2)使用提前停止确定迭代期数目", "early stopping decides the number of epochs"),
                               (4, "(4)学习速率自动调整", "adjusting the learning rate automatically")],
    "plot_15_augmentation": [(3, "Data Augmentation", "data augmentation")],
    "plot_16_batch_size": [(4, "(2)梯度下降", "gradient descent, stochastic and mini-batch"),
                           (4, "(5)小批量数据大小", "the mini-batch size")],
    "plot_17_width_depth": [(3, "Number of Neurons per Hidden Layer", "units per hidden layer"),
                            (3, "Number of Hidden Layers", "number of hidden layers")],
    "plot_18_hyperparameters": [(4, "6、如何选择神经⽹络的超参数", "how to choose the hyperparameters")],
    "plot_19_fashion_mnist": [(None, "把前面各章合在一起，在 Fashion-MNIST 上训练",
                               "the earlier chapters together, trained on Fashion-MNIST")],
    "plot_20_book_api": [(4, "二、改进神经网络", "improving the network: network2.py")],
    "plot_21_keras_programs": [(1, "搭建神經網路", "building a network: the tf.keras workflow")],
    "plot_22_sklearn": [(None, "scikit-learn 的估计器接口", "scikit-learn's estimator interface")],
    "plot_23_diagnostics": [(3, "梯度爆炸梯度消失", "exploding and vanishing gradients")],
    "plot_24_files_checkpoints": [(4, "5、添加神经网络的保存与修改", "saving and loading the network")],
    "plot_25_onnx": [(None, "导出为 ONNX 格式", "exporting to ONNX")],
    "plot_26_tracking": [(None, "用 TensorBoard 和 MLflow 记录训练", "tracking runs in TensorBoard and MLflow")],
}

_CJK = re.compile(r"[\u2e80-\u9fff]")
_COUNT = {2: "两", 3: "三", 4: "四"}


def _groups(refs):
    """The references grouped by note, in order: [(note, [(heading, gloss), ...]), ...]."""
    groups: list[tuple[int, list[tuple[str, str]]]] = []
    for note, heading, gloss in refs:
        if groups and groups[-1][0] == note:
            groups[-1][1].append((heading, gloss))
        else:
            groups.append((note, [(heading, gloss)]))
    return groups


def follows_line(chapter: str, language: str = "en") -> str | None:
    """The line for ``chapter`` (a script's name) in ``language`` ("en" or "zh_CN"), or None."""
    refs = FOLLOWS.get(chapter)
    if not refs:
        return None
    zh = language.startswith("zh")
    if refs[0][0] is None:
        return f"本章超出笔记范围：{refs[0][1]}。" if zh else f"Beyond the notes: {refs[0][2]}."
    parts = []
    for note, sections in _groups(refs):
        title = NOTES[note][1 if zh else 0]
        if zh:
            quoted = "和".join(f"“{heading}”" for heading, _ in sections)
            count = _COUNT.get(len(sections), "一")
            parts.append(f"笔记 {note}（{title}）的{quoted}{count}节")
        else:
            quoted = " and ".join(f"“{heading}”" + (f" ({gloss})" if _CJK.search(heading) else "")
                                  for heading, gloss in sections)
            word = "sections" if len(sections) > 1 else "section"
            parts.append(f"note {note} ({title}), {word} {quoted}")
    return "对应" + "；".join(parts) + "。" if zh else "Follows " + "; ".join(parts) + "."


def add_line(app, doctree, docname):
    """Put the line right after the h1 of a gallery chapter's page."""
    if not docname.startswith("auto_examples/"):
        return
    text = follows_line(docname.rsplit("/", 1)[-1], app.config.language or "en")
    if text is None:
        return
    from docutils import nodes  # imported here: the tests import this module without docutils
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    section.insert(1, nodes.paragraph(text, text, classes=["lw-follows"], translatable=False))


def setup(app):
    app.connect("doctree-resolved", add_line)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
