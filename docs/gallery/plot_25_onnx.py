r"""
Exporting to ONNX
=================

`ONNX <https://onnx.ai>`_ is a common file format for trained networks: a graph of standard
operators that many runtimes execute (ONNX Runtime on servers, phones and browsers, TensorRT,
OpenVINO, ...). :func:`layerwise.export.to_onnx` writes a model as such a graph, layer by layer,
in inference mode: a Dense layer becomes ``Gemm`` (:math:`xW + b`) followed by its activation,
BatchNorm becomes ``BatchNormalization`` with the moving statistics, and Dropout and Augment
disappear (they are the identity at inference). It needs the ``onnx`` extra
(``pip install "layerwise[onnx]"``); from the command line:
``layerwise export runs/<dir>/model.lwm model.onnx``.
"""

# %%
# Export, then run the file with ONNX Runtime
# -------------------------------------------
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.2)
model = lw.Sequential([lw.Dense(64, "gelu", kernel_initializer="he_normal"), lw.BatchNorm(), lw.Dropout(0.2),
                       lw.Dense(32, "elu"), lw.Dense(10, "softmax")], seed=0)
model.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
model.fit(ds.x_train, ds.y_train, epochs=10, verbose=0)

path = Path(tempfile.mkdtemp()) / "digits.onnx"
lw.export.to_onnx(model, path)
graph = onnx.load(path)
onnx.checker.check_model(graph)
print("opset", graph.opset_import[0].version, "| nodes:", " → ".join(node.op_type for node in graph.graph.node))

session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
onnx_out = session.run(None, {"input": ds.x_test.astype(np.float32)})[0]
ours = model.predict(ds.x_test)
print(f"largest difference from layerwise's own predictions: {np.abs(onnx_out - ours).max():.2e}")
print("same predicted class for every test image:", np.array_equal(onnx_out.argmax(1), ours.argmax(1)))

# %%
# A layer of your own
# -------------------
# A registered layer exports too when it says how: a method ``onnx_nodes(helper, x, const)``
# that returns its nodes and the name of its output. Without it, the export stops with an error
# that names the layer, rather than writing a graph that computes something else.
#
# Exercises
# ---------
# 1. ONNX has no GELU operator in this opset: which nodes between the first ``Gemm`` and
#    ``BatchNormalization`` compute it, and which formula do they spell out? Replace ``"gelu"`` by
#    ``"relu"`` and by ``"silu"`` and print the nodes again.
# 2. Run the session on one image, ``ds.x_test[:1]``. Why does the graph accept any number of
#    rows? (Print ``graph.graph.input[0]``.)
# 3. Build the model with ``dtype="float64"`` and ``"relu"`` in place of ``"gelu"`` and ``"elu"``
#    (ONNX Runtime's CPU provider has no float64 ``Erf`` or ``Elu``). How large is the
#    difference from layerwise's predictions now, and why was it about :math:`10^{-7}` before?
