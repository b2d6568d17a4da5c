"""The book's network, Network([784, 30, 10]) with the cross-entropy cost and L2, through the
book-style API on the layerwise engine.

    python examples/book_network.py [--dataset mnist|fashion-mnist] [--epochs 30]

Trains on the 60,000 training images and evaluates on the 10,000 test images each epoch,
returning the book's four monitor lists. Without --dataset it uses the data set the book's
``mnist_loader.load_data_wrapper()`` would: MNIST when its files are installed, else Fashion-MNIST
(Debian's dataset-fashion-mnist), and says which.
"""
import argparse
import time

import layerwise as lw
from layerwise.compat.mnist_loader import default_data_set
from layerwise.compat.nielsen import CrossEntropyCost, Network, to_book_format


def main(dataset=None, epochs=30, eta=0.5, lmbda=5.0, batch=10, seed=0):
    if dataset is None:
        dataset = default_data_set()
        print(f"data set: {dataset} (give --dataset to choose)")
    ds = lw.datasets.load(dataset)
    training_data = to_book_format(ds.x_train, ds.y_train)            # (x column, one-hot column)
    evaluation_data = to_book_format(ds.x_test, ds.y_test, one_hot=False)  # (x column, label)
    net = Network([784, 30, 10], cost=CrossEntropyCost, seed=seed)
    t0 = time.perf_counter()
    monitors = net.SGD(training_data, epochs, batch, eta, lmbda=lmbda, evaluation_data=evaluation_data,
                       monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                       monitor_training_cost=True, monitor_training_accuracy=True)
    seconds = time.perf_counter() - t0
    evaluation_accuracy = monitors[1]
    print(f"best evaluation accuracy {max(evaluation_accuracy)} / {len(evaluation_data)}; "
          f"{seconds / epochs:.2f}s per epoch")
    return monitors, seconds


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=None, help="mnist or fashion-mnist (default: the one installed, MNIST first)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--eta", type=float, default=0.5)
    p.add_argument("--lmbda", type=float, default=5.0)
    p.add_argument("--batch", type=int, default=10)
    a = p.parse_args()
    main(a.dataset, a.epochs, a.eta, a.lmbda, a.batch)
