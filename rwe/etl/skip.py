"""Skip unchanged resources before decoding them: a sorted numpy array of the 64-bit content
hashes already loaded (≈ 9 bytes per resource: 90 MB for 10 M resources), looked up per batch.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt


def content_hash(raw: bytes, salt: bytes) -> int:
    """A signed 64-bit hash of a resource's bytes; `salt` changes with the mapping (rwe version,
    mapping files, vocabulary release), so a new mapping re-transforms everything."""
    digest = hashlib.blake2b(raw, digest_size=8, key=salt).digest()
    return int.from_bytes(digest, "little", signed=True)


class SkipSet:
    """Hashes of loaded resources, with their resource type index (for the report)."""

    def __init__(self, hashes: npt.NDArray[np.int64], types: npt.NDArray[np.int16]) -> None:
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.types = types[order]

    @classmethod
    def empty(cls) -> SkipSet:
        return cls(np.empty(0, np.int64), np.empty(0, np.int16))

    def __len__(self) -> int:
        return int(self.hashes.size)

    def lookup(self, hashes: list[int]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int16]]:
        """For each hash: whether it is loaded, and the type index where it is."""
        wanted = np.fromiter(hashes, np.int64, len(hashes))
        if not self.hashes.size:
            return np.zeros(len(hashes), bool), np.zeros(len(hashes), np.int16)
        pos = np.searchsorted(self.hashes, wanted)
        pos[pos >= self.hashes.size] = 0
        found = self.hashes[pos] == wanted
        return found, self.types[pos]
