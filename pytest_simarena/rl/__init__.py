"""Learning agents: the learning env, its spaces and features, training, and trained policies.

The env and training need the ``rl`` extra (gymnasium, Stable-Baselines3, CPU torch); running a trained
policy (``rl:DIR``, ``rl:ppo-baseline``) needs only numpy. Nothing here is imported by the core library.
"""
