"""Learning agents: the learning env, its spaces and features, training, and trained policies.

The env and training need the ``rl`` extra (gymnasium, Stable-Baselines3, CPU torch); running a trained
policy (``rl:DIR``, ``rl:ppo-baseline``) needs only the core install (plain-Python inference). The core
library imports only ``rl.baselines`` (names) and, for an ``rl:`` policy, ``rl.policy``.
"""
