"""Dinucleotide shuffle: a random sequence with exactly the same dinucleotide counts.

The Altschul-Erikson algorithm (Altschul & Erikson 1985, Mol Biol Evol 2:526; in the form
of Kandel et al. 1996, Discrete Appl Math 71:171, that uShuffle and MEME's ``fasta-shuffle-
letters -kmer 2`` implement): the sequence is an Eulerian path through the graph whose
vertices are letters and whose edges are its dinucleotides. A random "last exit" edge is
drawn for every vertex but the final letter until those edges form a tree pointing to the
final letter (rejection, as Altschul & Erikson); the other exit edges of every vertex are put
in a random order before it; walking from the first letter, always taking each vertex's next
unused exit edge, then uses every edge exactly once. The result starts and ends with the
same letters as the input and has the same count of every dinucleotide (every k-mer count
for k <= 2), which the tests check exactly. Written here rather than taken from PyPI: the
``ushuffle`` binding ships only a C source distribution.
"""

from __future__ import annotations

import numpy as np


def dinucleotide_shuffle(sequence: str, rng: np.random.Generator) -> str:
    """Shuffle ``sequence`` preserving its dinucleotide counts exactly.

    Parameters
    ----------
    sequence : str
        Any letters (length L); ``N`` is a letter like the others.
    rng : numpy.random.Generator
        The source of randomness (seed it for a reproducible shuffle).

    Returns
    -------
    str
        Length L, the same first and last letter and dinucleotide counts.
    """
    if len(sequence) <= 2:
        return sequence
    exits: dict[str, list[str]] = {}
    for a, b in zip(sequence, sequence[1:], strict=False):
        exits.setdefault(a, []).append(b)
    final = sequence[-1]
    while True:
        last = {v: int(rng.integers(len(e))) for v, e in exits.items() if v != final}
        if _tree(last, exits, final):
            break
    order: dict[str, list[str]] = {}
    for vertex, edges in exits.items():
        rest = list(edges)
        closing = rest.pop(last[vertex]) if vertex in last else None
        order[vertex] = [rest[i] for i in rng.permutation(len(rest))]
        if closing is not None:
            order[vertex].append(closing)
    used = dict.fromkeys(exits, 0)
    vertex, out = sequence[0], [sequence[0]]
    for _ in range(len(sequence) - 1):
        step = order[vertex][used[vertex]]
        used[vertex] += 1
        out.append(step)
        vertex = step
    return "".join(out)


def _tree(last: dict[str, int], exits: dict[str, list[str]], final: str) -> bool:
    """Whether every vertex's last exit edge leads, without a cycle, to ``final``."""
    for start in last:
        vertex, steps = start, 0
        while vertex != final:
            vertex = exits[vertex][last[vertex]]
            steps += 1
            if steps > len(last):
                return False
    return True
