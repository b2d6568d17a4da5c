"""Side-by-side speed comparisons: layerwise against scikit-learn and PyTorch (CPU).

    python -m benchmarks --task 1 --repeats 3          # one task
    python -m benchmarks --all                          # every task, results to benchmarks/results/
"""
