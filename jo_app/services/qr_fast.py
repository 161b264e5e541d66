"""`FastQRCode`: the `qrcode` library's QR code, computed ~5x faster (the same symbol, bit for bit).

`qrcode.QRCode.make()` encodes the data bit by bit and computes the error correction with polynomial objects, then
picks the data mask by building the whole symbol eight times (one per mask) and scoring each with
`qrcode.util.lost_point` (four pure-Python passes over every module): ~12 ms for a ticket payload. Here, when the
mask is chosen automatically:
- the codewords are the library's (same segments, same padding) built with integers, the error correction with
  log/antilog tables (`_codewords`);
- where each data bit goes is computed once per version (`_layout`); the symbol is held as one integer per row, so
  each mask's candidate is a few XORs, scored with the library's exact penalty rules by bit operations and C-level
  string searches (`lost_point`); the first lowest score wins, as in the library.
The library still draws the function patterns and format bits. tests/services/test_qr_fast.py compares both
implementations' symbols on random inputs of every mode, version and level.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cache, lru_cache
from itertools import pairwise

import qrcode
from qrcode import LUT, base, exceptions, util

_FINDER_LIKE = ("10111010000", "00001011101")  # rule 3: 1:1:3:1:1 beside 4 light modules (neither overlaps itself)
_EXP = base.EXP_TABLE[:255] * 2  # antilog table, doubled: no modulo in the inner loop
_LOG = base.LOG_TABLE


def _bits(row: list) -> int:
    return sum(1 << j for j, dark in enumerate(row) if dark)


@lru_cache(maxsize=64)
def _mask_rows(pattern: int, size: int) -> tuple[int, ...]:
    """Mask `pattern` as one integer per row: bit j set where the mask flips column j."""
    flips = util.mask_func(pattern)
    return tuple(sum(1 << j for j in range(size) if flips(i, j)) for i in range(size))


class _Layout:
    """Per version: the data modules (bool matrix and row integers), the function patterns as the library draws
    them for its mask search (format bits light), and each data bit's (row, column bit) in placement order."""

    def __init__(self, version: int) -> None:
        probe = FastQRCode(version=version)
        probe.data_cache = []  # no data: map_data below only records the modules left for data
        probe.makeImpl(True, 0)
        size = probe.modules_count
        self.cells: list[list[bool]] = probe._data_cells
        self.data = [_bits(row) for row in self.cells]
        self.function = [_bits(row) & ~data for row, data in zip(probe.modules, self.data, strict=True)]
        self.places: list[tuple[int, int]] = []
        row, step = size - 1, -1
        for col in range(size - 1, 0, -2):  # the library's (and the standard's) two-column zigzag
            if col <= 6:
                col -= 1  # skip the vertical timing pattern
            while 0 <= row < size:
                for c in (col, col - 1):
                    if self.cells[row][c]:
                        self.places.append((row, 1 << c))
                row += step
            row -= step
            step = -step


@lru_cache(maxsize=16)
def _layout(version: int) -> _Layout:
    return _Layout(version)


class _Bits:
    """`qrcode.util.BitBuffer`'s `put`, into one integer."""

    def __init__(self) -> None:
        self.value, self.length = 0, 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length


def _ec(data: list[int], generator: list[int]) -> list[int]:
    """Reed-Solomon remainder of `data` by the monic `generator` (same as the library's polynomial division)."""
    logs = [_LOG[g] for g in generator[1:]]
    remainder = [0] * len(logs)
    for byte in data:
        factor = byte ^ remainder[0]
        if factor:
            shift = _LOG[factor]
            remainder = [r ^ _EXP[g + shift] for r, g in zip([*remainder[1:], 0], logs, strict=True)]
        else:
            remainder = [*remainder[1:], 0]
    return remainder


@lru_cache(maxsize=64)
def _generator(ec_count: int) -> list[int]:
    if ec_count in LUT.rsPoly_LUT:
        return list(LUT.rsPoly_LUT[ec_count])
    poly = base.Polynomial([1], 0)
    for i in range(ec_count):
        poly = poly * base.Polynomial([1, base.gexp(i)], 0)
    return [poly[i] for i in range(len(poly))]


def _codewords(version: int, error_correction: int, data_list: list) -> list[int]:
    """`qrcode.util.create_data`: the segments, terminator and padding, then the blocks' data and error correction
    codewords interleaved."""
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), util.length_in_bits(data.mode, version))
        data.write(bits)
    blocks = base.rs_blocks(version, error_correction)
    limit = sum(block.data_count * 8 for block in blocks)
    if bits.length > limit:
        raise exceptions.DataOverflowError(
            f"Code length overflow. Data size ({bits.length}) > size available ({limit})")
    bits.put(0, min(limit - bits.length, 4))  # terminator
    bits.put(0, -bits.length % 8)  # to a byte boundary
    stream = list(bits.value.to_bytes(bits.length // 8, "big"))
    stream += [util.PAD0, util.PAD1] * ((limit // 8 - len(stream)) // 2 + 1)
    stream = stream[:limit // 8]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = stream[offset:offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_ec(chunk, _generator(block.total_count - block.data_count)))
    out = []
    for group in (data_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return out


@cache
def _segments(size: int) -> int:
    """Bit k set when modules k and k + 1 of the rows-then-columns text are in the same row (or column)."""
    inside = int("2".join(["1" * size] * (2 * size)).replace("2", "0"), 2)
    return inside & (inside >> 1)


def lost_point(rows: list[int], size: int) -> int:
    """`qrcode.util.lost_point` of the symbol whose row i is the integer `rows[i]` (bit j = column j dark)."""
    lines = [format(row, f"0{size}b") for row in rows]  # column order reversed: the rules are symmetric
    text = "2".join(lines) + "2" + "2".join("".join(column) for column in zip(*lines, strict=True))
    # rule 1 (both directions): 3 + (length - 5) per run of >= 5 modules of one colour. With the rows and columns
    # as one integer (separators as 0, never part of a run: `_segments`), `window` has a bit where 5 modules in a
    # row are the same (length - 4 per run), `window & ~(window << 1)` one per run.
    bits, segments = int(text.replace("2", "0"), 2), _segments(size)
    same = ~(bits ^ (bits >> 1)) & segments
    window = same & (same >> 1) & (same >> 2) & (same >> 3)
    points = window.bit_count() + 2 * (window & ~(window << 1)).bit_count()
    full = (1 << (size - 1)) - 1  # rule 2: same-colour 2x2 blocks, at the columns 0..size-2
    for top, bottom in pairwise(rows):
        same_below = ~(top ^ bottom)
        points += 3 * (same_below & (same_below >> 1) & ~(top ^ (top >> 1)) & full).bit_count()
    points += 40 * sum(text.count(pattern) for pattern in _FINDER_LIKE)  # rule 3 (both directions)
    dark = sum(row.bit_count() for row in rows)  # rule 4, with the library's own arithmetic
    return points + int(abs(float(dark) / (size**2) * 100 - 50) / 5) * 10


class FastQRCode(qrcode.QRCode):
    """A drop-in `qrcode.QRCode` (same constructor, same symbol), fast when the mask is chosen automatically."""

    _data_cells: list[list[bool]] | None = None  # the data modules of the symbol being built
    _chosen: tuple | None = None  # (codewords, size, mask, data modules' rows under that mask): the search's result

    def map_data(self, data, mask_pattern) -> None:
        chosen, self._chosen = self._chosen, None
        if chosen is not None and chosen[0] is data and chosen[1:3] == (self.modules_count, mask_pattern):
            # the search's result for these very codewords: no second placement
            for row, bits, cells in zip(self.modules, chosen[3], self._data_cells, strict=True):
                for j, is_data in enumerate(cells):
                    if is_data:
                        row[j] = bool(bits >> j & 1)
            return
        self._data_cells = [[cell is None for cell in row] for row in self.modules]  # still unset: data modules
        super().map_data(data, mask_pattern)

    def best_fit(self, start=None) -> int:
        """The library's version choice (smallest that fits), its bits counted with integers."""
        start = start or 1
        util.check_version(start)
        mode_sizes = util.mode_sizes_for_version(start)
        bits = _Bits()
        for data in self.data_list:
            bits.put(data.mode, 4)
            bits.put(len(data), mode_sizes[data.mode])
            data.write(bits)
        self.version = bisect_left(util.BIT_LIMIT_TABLE[self.error_correction], bits.length, start)
        if self.version == 41:
            raise exceptions.DataOverflowError()
        if mode_sizes is not util.mode_sizes_for_version(self.version):  # the guess was too low: count again
            self.best_fit(start=self.version)
        return self.version

    def best_mask_pattern(self) -> int:
        self._chosen = None
        if self.data_cache is None:
            self.data_cache = _codewords(self.version, self.error_correction, self.data_list)
        layout = _layout(self.version)
        size = self.version * 4 + 17
        placed = [0] * size
        stream = format(int.from_bytes(bytes(self.data_cache), "big"), f"0{len(self.data_cache) * 8}b")
        for (row, bit), value in zip(layout.places, stream, strict=False):  # bits past the data stay light
            if value == "1":
                placed[row] |= bit
        best, best_points, best_data = 0, 0, placed
        for pattern in range(8):
            data = [(row ^ mask) & cells for row, mask, cells in zip(placed, _mask_rows(pattern, size), layout.data,
                                                                     strict=True)]
            points = lost_point([f | d for f, d in zip(layout.function, data, strict=True)], size)
            if pattern == 0 or points < best_points:
                best, best_points, best_data = pattern, points, data
        self._data_cells = layout.cells
        self._chosen = (self.data_cache, size, best, best_data)  # `make` places this mask next
        return best
