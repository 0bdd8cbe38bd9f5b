"""Data-parallel training with Horovod (Task 4, Basset): launch, training loop, ranks.

- :mod:`toolkit.distributed.launch`: ``init()`` starts Horovod under horovodrun, in a
  multi-task Slurm step (Gloo rendezvous run by rank 0) or as a single process;
- :mod:`toolkit.distributed.train`: the custom training loop (averaged gradients, scaled and
  warmed-up learning rate, rank-0 checkpoints, gathered validation metrics);
- :mod:`toolkit.distributed.element`: every rank running the runs of a launch;
- ``python -m toolkit.distributed CONFIG``: a sweep on all ranks of a ``horovodrun`` launch.
"""
