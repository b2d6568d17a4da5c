"""Training: the one step, the fit state, batch sources, the loop, checkpoints, callbacks.
Works on any model object; never imports model.py."""
