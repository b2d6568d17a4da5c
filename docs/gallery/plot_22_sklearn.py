r"""
The scikit-learn estimators
===========================

:class:`layerwise.sklearn.MLPClassifier` and :class:`~layerwise.sklearn.MLPRegressor` take
scikit-learn's parameter names (``hidden_layer_sizes``, ``alpha``, ``learning_rate_init``,
``early_stopping``, ...) and pass scikit-learn's own ``check_estimator``, so they work wherever
a scikit-learn estimator does: in pipelines, cross-validation and grid searches. They add what
scikit-learn's MLPs lack: ``dropout``, ``batch_norm`` and a choice of ``initializer``.

``alpha`` is scikit-learn's L2 penalty, :math:`\frac{\alpha}{2n}\sum w^2` added to the mean loss
(the same objective as :class:`sklearn.neural_network.MLPClassifier`).
"""

# %%
# In a pipeline, cross-validated
# ------------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from layerwise.sklearn import MLPClassifier, MLPRegressor

# Short max_iter budgets keep this page fast; both libraries warn that the fit could go on.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, random_state=0))
scores = cross_val_score(pipeline, X_train, y_train, cv=3)
print("3-fold cross-validation accuracy:", np.round(scores, 4))

# %%
# A grid search over its parameters
# ---------------------------------
search = GridSearchCV(make_pipeline(StandardScaler(), MLPClassifier(max_iter=40, random_state=0)),
                      {"mlpclassifier__hidden_layer_sizes": [(32,), (128,)],
                       "mlpclassifier__dropout": [0.0, 0.3]}, cv=3)
search.fit(X_train, y_train)
print("best:", search.best_params_, f"cross-validated accuracy {search.best_score_:.4f}")
print(f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.4f}")

# %%
# Next to scikit-learn's own MLP
# ------------------------------
# The same parameters given to both; each is fitted three times (different seeds).
results = {}
for name, Estimator in (("layerwise.sklearn.MLPClassifier", MLPClassifier),
                        ("sklearn.neural_network.MLPClassifier", SklearnMLP)):
    accuracy, seconds = [], []
    for seed in range(3):
        clf = make_pipeline(StandardScaler(), Estimator(hidden_layer_sizes=(100,), alpha=1e-4, batch_size=32,
                                                        learning_rate_init=1e-3, max_iter=30, random_state=seed))
        t0 = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds.append(time.perf_counter() - t0)
        accuracy.append(clf.score(X_test, y_test))
    results[name] = (accuracy, seconds)
    print(f"{name:38s} test accuracy {np.mean(accuracy):.4f} ± {np.std(accuracy):.4f}, "
          f"fit {np.median(seconds):.2f} s (median of 3; this machine, during the docs build)")

# %%
# A regression
# ------------
# ``MLPRegressor`` fits a noisy curve with a squared-error loss; ``early_stopping=True`` holds out
# ``validation_fraction`` of the data and stops when its score stops improving, as in scikit-learn.
rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, size=(300, 1))
target = np.sin(2 * x[:, 0]) + 0.3 * x[:, 0] + rng.normal(0, 0.15, 300)
reg = MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", learning_rate_init=1e-2, max_iter=500,
                   early_stopping=True, random_state=0).fit(x, target)
grid = np.linspace(-3.2, 3.2, 400).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.scatter(x, target, s=8, alpha=0.5, label="data")
ax.plot(grid, np.sin(2 * grid) + 0.3 * grid, "k--", lw=1, label="true function")
ax.plot(grid, reg.predict(grid), color="tab:red", lw=2, label=f"MLPRegressor(64, 64), R² = {reg.score(x, target):.3f}")
ax.set(xlabel="x", ylabel="y", title=f"Stopped after {reg.n_iter_} epochs (early_stopping=True)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Exercises
# ---------
# 1. Take ``StandardScaler()`` out of the pipeline. How much does the cross-validated accuracy
#    change? Fit both pipelines and compare the first values of ``pipeline[-1].loss_curve_``. (The
#    digits' pixels run from 0 to 16.)
# 2. Add ``"mlpclassifier__alpha": [1e-4, 1e-1]`` to the grid. How many networks does
#    ``search.fit`` train now? Check your count against ``len(search.cv_results_["params"])``, the
#    three folds and the final refit (the answer is 25).
# 3. Fit the regression with ``early_stopping=False``. How many epochs does it run now
#    (``reg.n_iter_``), what stops it, and does it follow the true function more closely? (Hint:
#    ``n_iter_no_change`` and ``tol`` now watch the training loss.)
