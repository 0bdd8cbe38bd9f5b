"""``python -m toolkit.distributed CONFIG``: an alias of ``expact run CONFIG`` under horovodrun.

The pieces of data-parallel training live where their kind lives:

- :mod:`toolkit.training.horovod`: ``init()`` starts Horovod under horovodrun, in a
  multi-task Slurm step (Gloo rendezvous run by rank 0) or as a single process;
  ``launched()`` tells whether this process is one rank of several;
- :mod:`toolkit.cluster.ranks`: every rank running the runs of a launch;
- :mod:`toolkit.training.distributed`: the custom training loop (averaged gradients, scaled
  and warmed-up learning rate, rank-0 checkpoints, gathered validation metrics).
"""
