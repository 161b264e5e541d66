"""The ticket's TrueType fonts (DejaVu) with their embedded subset built once per process, not once per PDF.

reportlab embeds, in every document, a subset of each font holding the characters that document used, numbered in
the order they first appear: so the subset differs from one ticket to the next (holder names, references) and was
rebuilt, compressed and formatted for every PDF (~3 ms of CPU per ticket: `makeSubset`, zlib, 2 x 256 widths
formatted in Python). `CachedSubsetFont` numbers a fixed set of characters the same way in every document (printable
ASCII, Latin-1, the typographic signs and the common Latin Extended-A letters: the first 256-code subset, full),
so that subset's PDF objects (font file, ToUnicode map, widths) are built once and their bytes reused. A character
outside it still works as before: reportlab opens a further subset for it, in that document only (its objects are
cached too, by content). Same glyphs, same text (the ToUnicode maps), the PDF ~25 KB larger (71 instead of 46 KB).
"""

from __future__ import annotations

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, makeToUnicodeCMap

# After printable ASCII: Latin-1 (U+00A1-U+00FF), typographic signs, then Latin Extended-A by frequency of use in
# European names. Characters the font lacks are skipped; the list is cut at the subset's 159 free codes.
_COMMON = ("".join(map(chr, range(0xA1, 0x100))) + "\u2014\u2013\u2022\u2019\u2018\u201c\u201d\u2026\u20ac\u2039"
           "\u203a\u201e\u201a\u2032\u2033\u2212\u2192\u2122"
           "\u0152\u0153\u0160\u0161\u017d\u017e\u0178\u0141\u0142\u010c\u010d\u0106\u0107\u0118\u0119\u0104\u0105"
           "\u015a\u015b\u0179\u017a\u017b\u017c\u0143\u0144\u0158\u0159\u011a\u011b\u016e\u016f\u015e\u015f\u011e"
           "\u011f\u0130\u0131\u0150\u0151\u0170\u0171\u0110\u0111\u0100\u0101\u0112\u0113\u012a\u012b\u016a\u016b"
           "\u0164\u0165\u010e\u010f\u0147\u0148\u0102\u0103\u0162\u0163\u0218\u0219\u021a\u021b\u0116\u0117\u012e"
           "\u012f\u0172\u0173\u0122\u0123\u0136\u0137\u013b\u013c\u0145\u0146\u0139\u013a\u013d\u013e\u0154\u0155"
           "\u0108\u0109\u011c\u011d\u0124\u0125\u0134\u0135\u015c\u015d\u016c\u016d\u0174\u0175\u0176\u0177\u0128"
           "\u0129\u0168\u0169\u0132\u0133\u013f\u0140\u0149\u014a\u014b\u0166\u0167\u0126\u0127\u017f")
_CACHE_LIMIT = 64  # subsets kept (the fixed one, plus the rare further ones: ~30 KB each)


class _Formatted(pdfdoc.PDFObject):
    """A PDF object whose bytes were formatted before (they hold no reference to another object)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document) -> bytes:
        return self.data


class CachedSubsetFont(TTFont):
    """A TTFont whose first subset is the same in every document, its PDF objects built once (see module doc)."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename, asciiReadable=1)
        known = self.face.charToGlyph
        common = [code for code in dict.fromkeys(map(ord, _COMMON)) if code in known and not 32 <= code < 128]
        ascii_ = [code for code in range(32, 128) if code in known or code == 32]
        common += [0] * (159 - len(common))  # (a font without them: notdef fills the codes)
        first, rest = common[:31], common[31:159]
        self._subset0 = [0, *first, *range(32, 128), *rest]  # codes 1-31, ASCII at its own codes, then 128-255
        self._assigned = {0: 0, **{code: index + 1 for index, code in enumerate(first) if code},
                          **{code: code for code in ascii_},
                          **{code: 128 + index for index, code in enumerate(rest) if code}}
        self._objects: dict[tuple, tuple[bytes, bytes, bytes]] = {}
        self._widths: dict[tuple[str, float], float] = {}

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:  # noqa: N802 - reportlab's
        """reportlab's width (a Python loop over the characters), remembered: line breaking measures the same words
        on every ticket."""
        key = (text, size)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= 4096:
                self._widths.clear()
            width = self._widths[key] = super().stringWidth(text, size, encoding)
        return width

    def _state(self, doc) -> TTFont.State:
        state = self.state.get(doc)
        if state is None:
            state = self.state[doc] = TTFont.State(1, self)
            state.assignments = dict(self._assigned)
            state.subsets = [list(self._subset0)]
            state.nextCode = len(self._subset0)  # 256: the next new character opens subset 1
        return state

    def splitString(self, text, doc, encoding: str = "utf-8"):  # noqa: N802 - reportlab's name
        self._state(doc)
        return super().splitString(text, doc, encoding)

    def _built(self, name: str, subset: list[int], compression: int) -> tuple[bytes, bytes, bytes]:
        """(font file stream, ToUnicode stream, widths array) of a subset, formatted (cached)."""
        key = (name, tuple(subset), compression)
        found = self._objects.get(key)
        if found is None:
            scratch = pdfdoc.PDFDocument(compression=compression, invariant=1)
            filters = [pdfdoc.PDFZCompress] if compression else None
            font_file = pdfdoc.PDFStream(content=self.face.makeSubset(subset), filters=filters)
            font_file.dictionary["Length1"] = len(font_file.content)
            cmap = pdfdoc.PDFStream(content=makeToUnicodeCMap(name, subset), filters=filters)
            widths = pdfdoc.PDFArray([self.face.getCharWidth(code) for code in subset])
            found = (font_file.format(scratch), cmap.format(scratch), widths.format(scratch))
            if len(self._objects) >= _CACHE_LIMIT:
                self._objects.clear()
            self._objects[key] = found
        return found

    def addObjects(self, doc) -> None:  # noqa: N802 - reportlab's name
        """reportlab's `TTFont.addObjects` (one Font, FontDescriptor, FontFile2 and ToUnicode per subset), with the
        subsets' bytes from `_built`."""
        state = self._state(doc)
        state.frozen = 1
        face = self.face
        for index, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(index, doc)[1:]
            name = b"".join((SUBSETN(index), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            font_file, cmap, widths = self._built(name, subset, doc.compression)
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {index}"
            font.Name, font.BaseFont, font.FirstChar, font.LastChar = internal, name, 0, len(subset) - 1
            font.Widths = _Formatted(widths)
            font.ToUnicode = doc.Reference(_Formatted(cmap), "toUnicodeCMap:" + name)
            descriptor = pdfdoc.PDFDictionary({
                "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight,
                "Descent": face.descent, "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox), "FontName": pdfdoc.PDFName(name),
                "ItalicAngle": face.italicAngle, "StemV": face.stemV,
                "FontFile2": doc.Reference(_Formatted(font_file), f"fontFile:{face.filename}({name})"),
                "MissingWidth": face.defaultWidth})
            font.FontDescriptor = doc.Reference(descriptor, "fontDescriptor:" + name)
            doc.Reference(font, internal)
            doc.idToObject["BasicFonts"].dict[internal] = font
        del self.state[doc]
