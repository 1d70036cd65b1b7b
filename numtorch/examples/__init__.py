"""Runnable examples. ``python -m numtorch.examples.fashion_mnist --model mlp --epochs 3`` trains
D2L's Fashion-MNIST models (see the README, "Set up")."""
