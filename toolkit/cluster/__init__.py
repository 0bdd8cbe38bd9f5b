"""Array jobs through submitit: profiles, packed elements, submission, Slurm state queries."""
