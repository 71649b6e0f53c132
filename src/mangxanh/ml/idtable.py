"""Memo of the feature codes that text pieces and piece pairs contribute, for fast vectorising.

Comments reuse a small vocabulary, so :class:`~mangxanh.ml.features.TfidfFeaturizer`
works out the feature codes of each distinct piece of text once and keeps them here, end
to end in one array: a batch then needs one C-level dict look-up per piece and one per
pair of neighbouring pieces, and gathers every code in a few numpy steps.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from itertools import chain, repeat
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)
# (feature codes, whether the entry holds any word) of an entry seen for the first time.
Entry = tuple[list[int], bool]


def _grown(a: np.ndarray, need: int) -> np.ndarray:
    out = np.zeros(max(need, 2 * len(a)), dtype=a.dtype)
    out[: len(a)] = a
    return out


_COUNTING = np.arange(1 << 16, dtype=np.int32)  # 0, 1, 2, ...: shared, read-only, grown on demand


def _counting(n: int) -> np.ndarray:
    global _COUNTING
    counting = _COUNTING
    if len(counting) < n:
        counting = _COUNTING = np.arange(max(n, 2 * len(counting)), dtype=np.int32)
    return counting[:n]


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Indices ``starts[i] .. starts[i] + lens[i] - 1`` for every i, end to end (int32: the store is smaller)."""
    ends = np.cumsum(lens)
    out: np.ndarray = np.repeat((starts - (ends - lens)).astype(np.int32), lens)
    out += _counting(len(out))
    return out


class IdTable:
    """Feature codes of distinct pieces (by text) and of piece pairs (by their two slots).

    Append-only, and an entry's ids are stored before its slot is published, so a
    reader in another thread never meets a slot whose ids are missing; a full table is
    replaced by its owner, never cleared, for the same reason.
    """

    def __init__(self) -> None:
        self.pieces: dict[str, int] = {}
        self.pairs: dict[int, int] = {}
        self.names: list[str] = []  # the piece of each slot ("" for a pair)
        # (ids end to end, start of each slot's ids, number of ids, whether the slot holds words)
        self.arrays = (np.zeros(1 << 14, np.int32), np.zeros(1 << 10, np.int64), np.zeros(1 << 10, np.int64),
                       np.zeros(1 << 10, np.bool_))
        self.size = 0
        self._n_ids = 0
        self._lock = threading.Lock()

    def slots(self, memo: dict[Key, int], keys: list[Key], make: Callable[[Key], Entry]) -> np.ndarray:
        """Slot of every key, adding (with ``make``) the keys seen for the first time."""
        found = np.fromiter(map(memo.get, keys, repeat(-1)), dtype=np.int64, count=len(keys))
        missing = np.flatnonzero(found < 0).tolist()
        if missing:
            new: dict[Key, int] = {}  # each new key once, in order
            for i in missing:
                new.setdefault(keys[i], len(new))
            added = self._add(memo, list(new), [make(key) for key in new])
            found[missing] = [added[new[keys[i]]] for i in missing]
        return found

    def _add(self, memo: dict[Key, int], keys: list[Key], entries: list[Entry]) -> list[int]:
        """Store new entries in one go (numpy writes cost more per call than per value)."""
        with self._lock:
            slots: list[int] = []
            fresh: list[tuple[Key, Entry]] = []
            for key, entry in zip(keys, entries, strict=True):
                slot = memo.get(key)  # another thread may have added it meanwhile
                if slot is None:
                    slot = self.size + len(fresh)
                    fresh.append((key, entry))
                slots.append(slot)
            if not fresh:
                return slots
            store, start, length, words = self.arrays
            first_slot, first_id = self.size, self._n_ids
            sizes = [len(ids) for _, (ids, _) in fresh]
            total = sum(sizes)
            if first_id + total > len(store):
                store = _grown(store, first_id + total)
            end_slot = first_slot + len(fresh)
            if end_slot > len(start):
                start, length, words = _grown(start, end_slot), _grown(length, end_slot), _grown(words, end_slot)
            store[first_id : first_id + total] = np.fromiter(chain.from_iterable(ids for _, (ids, _) in fresh),
                                                             dtype=np.int32, count=total)
            length[first_slot:end_slot] = sizes
            start[first_slot:end_slot] = np.cumsum(length[first_slot:end_slot]) - length[first_slot:end_slot] + first_id
            words[first_slot:end_slot] = [has for _, (_, has) in fresh]
            self.names.extend(key if isinstance(key, str) else "" for key, _ in fresh)
            self.arrays = (store, start, length, words)
            self._n_ids, self.size = first_id + total, end_slot
            for slot, (key, _) in enumerate(fresh, start=first_slot):  # published last: see the class doc
                memo[key] = slot
            return slots

    def has_words(self, slots: np.ndarray) -> np.ndarray:
        words: np.ndarray = self.arrays[3][slots]
        return words

    def gather(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(number of ids of each slot, all their ids end to end)."""
        store, start, length, _ = self.arrays  # read after the look-ups: holds every slot they returned
        lens = length[slots]
        ids: np.ndarray = store[_ranges(start[slots], lens)]
        return lens, ids
