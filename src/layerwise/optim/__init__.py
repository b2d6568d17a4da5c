"""Optimisation: update rules with their state, learning-rate schedules, weight averages (EMA),
fused device kernels."""
