"""Sport illustrations drawn by the project: procedural SVG (gradient, abstract motif, the sport's name).

No Olympic pictograms or rings: each sport gets simple geometric shapes (lanes, a court, waves, wheels...) in its
own colours. Output is deterministic, so the committed files under `assets/sports/` can be checked against
`render_svg` (`python -m jo_app.cli sport-images` rewrites them). Reflex serves `assets/` at `/`, hence the
`/sports/<slug>.svg` URLs stored in `Event.image`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from jo_app.config import PROJECT_ROOT

WIDTH, HEIGHT = 800, 450
ASSETS_DIR = PROJECT_ROOT / "assets" / "sports"
INK = "#ffffff"


@dataclass(frozen=True)
class SportStyle:
    name: str  # French display name
    colors: tuple[str, str, str]  # gradient start, gradient end, accent
    motif: str


SPORTS: dict[str, SportStyle] = {
    "athletisme": SportStyle("Athlétisme", ("#b8322a", "#e8743b", "#ffd166"), "track"),
    "aviron": SportStyle("Aviron", ("#0b4f6c", "#20a4c3", "#fbfbff"), "oars"),
    "basketball": SportStyle("Basketball", ("#9a3c12", "#f08a24", "#1b1b1e"), "basketball"),
    "beach-volley": SportStyle("Beach-volley", ("#f4a259", "#f7d488", "#2a9d8f"), "beach"),
    "boxe": SportStyle("Boxe", ("#3a0ca3", "#b5179e", "#f72585"), "ring"),
    "breaking": SportStyle("Breaking", ("#1a1a2e", "#7b2cbf", "#f9c80e"), "vinyl"),
    "canoe-kayak": SportStyle("Canoë-kayak", ("#005f73", "#0a9396", "#ee9b00"), "oars"),
    "cyclisme-sur-piste": SportStyle("Cyclisme sur piste", ("#1d3557", "#457b9d", "#e63946"), "wheels"),
    "cyclisme-sur-route": SportStyle("Cyclisme sur route", ("#2b9348", "#80b918", "#f1faee"), "wheels"),
    "escrime": SportStyle("Escrime", ("#22223b", "#4a4e69", "#f2e9e4"), "blades"),
    "football": SportStyle("Football", ("#2d6a4f", "#52b788", "#ffffff"), "pitch"),
    "gymnastique": SportStyle("Gymnastique artistique", ("#7209b7", "#f15bb5", "#fee440"), "ribbon"),
    "handball": SportStyle("Handball", ("#003049", "#d62828", "#fcbf49"), "goal"),
    "judo": SportStyle("Judo", ("#283618", "#606c38", "#fefae0"), "mat"),
    "natation": SportStyle("Natation", ("#023e8a", "#0096c7", "#caf0f8"), "pool"),
    "plongeon": SportStyle("Plongeon", ("#03045e", "#00b4d8", "#ffffff"), "dive"),
    "rugby": SportStyle("Rugby à 7", ("#264653", "#2a9d8f", "#e9c46a"), "rugby"),
    "skateboard": SportStyle("Skateboard", ("#3d405b", "#e07a5f", "#f2cc8f"), "skate"),
    "sports-equestres": SportStyle("Sports équestres", ("#5f0f40", "#9a031e", "#fb8b24"), "hurdle"),
    "surf": SportStyle("Surf", ("#006d77", "#83c5be", "#ffddd2"), "surf"),
    "taekwondo": SportStyle("Taekwondo", ("#780000", "#c1121f", "#fdf0d5"), "octagon"),
    "tennis": SportStyle("Tennis", ("#bc4b1c", "#e07a3f", "#d9ed92"), "court"),
    "tir-a-l-arc": SportStyle("Tir à l'arc", ("#14213d", "#3a506b", "#fca311"), "target"),
    "voile": SportStyle("Voile", ("#0077b6", "#48cae4", "#ffffff"), "sail"),
}


def _line(x1: float, y1: float, x2: float, y2: float, width: float = 6, color: str = INK, opacity: float = 0.85) -> str:
    return (f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{color}" '
            f'stroke-width="{width}" stroke-linecap="round" opacity="{opacity}"/>')


def _circle(cx: float, cy: float, r: float, *, fill: str = "none", stroke: str = INK, width: float = 6,
            opacity: float = 0.85) -> str:
    return (f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r:.0f}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{width}" opacity="{opacity}"/>')


def _path(d: str, *, stroke: str = INK, width: float = 6, fill: str = "none", opacity: float = 0.85) -> str:
    return (f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{width}" stroke-linecap="round" '
            f'stroke-linejoin="round" opacity="{opacity}"/>')


def _waves(y: float, accent: str, count: int = 3, amplitude: float = 14) -> str:
    out = []
    for i in range(count):
        yy = y + i * 34
        d = f"M -20 {yy:.0f} " + " ".join(
            f"Q {x + 40} {yy - amplitude:.0f} {x + 80} {yy:.0f} T {x + 160} {yy:.0f}" for x in range(-20, 820, 160))
        out.append(_path(d, stroke=accent if i == 0 else INK, width=5, opacity=0.7 - i * 0.15))
    return "".join(out)


def _ball(cx: float, cy: float, r: float, accent: str, seams: str) -> str:
    parts = [_circle(cx, cy, r, fill=accent, stroke=INK, opacity=0.95)]
    if seams == "basket":
        k, q = r * 0.7, r * 0.2
        parts += [_line(cx - r, cy, cx + r, cy, 5, INK), _line(cx, cy - r, cx, cy + r, 5, INK),
                  _path(f"M {cx - k:.0f} {cy - k:.0f} Q {cx - q:.0f} {cy} {cx - k:.0f} {cy + k:.0f}", width=5),
                  _path(f"M {cx + k:.0f} {cy - k:.0f} Q {cx + q:.0f} {cy} {cx + k:.0f} {cy + k:.0f}", width=5)]
    elif seams == "tennis":
        parts += [_path(f"M {cx - r * 0.9} {cy - r * 0.4} Q {cx} {cy} {cx - r * 0.9} {cy + r * 0.4}", width=4),
                  _path(f"M {cx + r * 0.9} {cy - r * 0.4} Q {cx} {cy} {cx + r * 0.9} {cy + r * 0.4}", width=4)]
    elif seams == "volley":
        parts += [_path(f"M {cx} {cy - r} Q {cx - r * 0.5} {cy} {cx} {cy + r}", width=4),
                  _path(f"M {cx - r} {cy} Q {cx} {cy - r * 0.5} {cx + r} {cy}", width=4)]
    elif seams == "foot":
        pts = " ".join(f"{cx + r * 0.4 * math.cos(a):.0f},{cy + r * 0.4 * math.sin(a):.0f}"
                       for a in (math.radians(-90 + 72 * k) for k in range(5)))
        parts.append(f'<polygon points="{pts}" fill="#1b1b1e" opacity="0.9"/>')
    return "".join(parts)


def _motif(kind: str, accent: str) -> str:  # one flat branch per motif
    if kind == "track":
        return "".join(_path(f"M -40 {300 + i * 28} C 200 {160 + i * 28} 560 {160 + i * 28} 840 {300 + i * 28}",
                             stroke=accent if i == 2 else INK, width=5) for i in range(5))
    if kind == "oars":
        return _waves(320, accent) + _line(180, 110, 620, 330, 10) + _line(180, 330, 620, 110, 10, accent)
    if kind == "basketball":
        return _ball(560, 190, 110, accent, "basket") + _path("M 80 90 L 260 90 L 240 150 L 100 150 Z", width=6)
    if kind == "beach":
        return (_circle(650, 110, 60, fill=accent, stroke=accent, opacity=0.6) + _line(80, 250, 720, 250, 4)
                + "".join(_line(80 + i * 40, 200, 80 + i * 40, 250, 2) for i in range(17))
                + _ball(300, 140, 50, "#ffffff", "volley") + _path("M -20 390 Q 400 330 820 390", width=8))
    if kind == "ring":
        return "".join(_line(60, 150 + i * 60, 740, 150 + i * 60, 7, accent if i == 1 else INK) for i in range(3)) \
            + _line(60, 120, 60, 330, 14) + _line(740, 120, 740, 330, 14)
    if kind == "vinyl":
        rays = "".join(_line(560 + 150 * math.cos(a), 200 + 150 * math.sin(a), 560 + 210 * math.cos(a),
                             200 + 210 * math.sin(a), 5, accent) for a in (k * math.pi / 8 for k in range(16)))
        return rays + "".join(_circle(560, 200, r, width=3, opacity=0.6) for r in (40, 70, 100, 125)) \
            + _circle(560, 200, 14, fill=accent, stroke=accent)
    if kind == "wheels":
        spokes = "".join(_line(cx, 230, cx + 95 * math.cos(a), 230 + 95 * math.sin(a), 2, opacity=0.6)
                         for cx in (250, 550) for a in (k * math.pi / 6 for k in range(12)))
        return spokes + _circle(250, 230, 100) + _circle(550, 230, 100) + _path(
            "M 250 230 L 380 120 L 550 230 M 380 120 L 470 120", stroke=accent, width=8)
    if kind == "blades":
        return (_line(130, 340, 670, 100, 5) + _line(130, 100, 670, 340, 5, accent)
                + _path("M 170 300 q 30 -40 60 0", width=8) + _path("M 570 300 q 30 -40 60 0", stroke=accent, width=8))
    if kind == "pitch":
        return (f'<rect x="90" y="60" width="620" height="300" fill="none" stroke="{INK}" stroke-width="5" '
                'opacity="0.8"/>' + _line(400, 60, 400, 360, 5) + _circle(400, 210, 60, width=5)
                + _ball(400, 210, 26, "#ffffff", "foot"))
    if kind == "ribbon":
        return _path("M 60 300 C 200 40 300 380 420 160 S 640 60 740 260", stroke=accent, width=10) \
            + f'<rect x="120" y="330" width="560" height="14" rx="7" fill="{INK}" opacity="0.85"/>'
    if kind == "goal":
        net = "".join(_line(470 + i * 30, 110, 470 + i * 30, 300, 2, opacity=0.5) for i in range(9)) + "".join(
            _line(470, 110 + i * 27, 710, 110 + i * 27, 2, opacity=0.5) for i in range(8))
        return net + _path("M 470 300 L 470 110 L 710 110 L 710 300", width=10) + _ball(250, 200, 60, accent, "volley")
    if kind == "mat":
        return "".join(
            f'<rect x="{400 - s}" y="{210 - s * 0.55:.0f}" width="{2 * s}" height="{s * 1.1:.0f}" fill="none" '
            f'stroke="{accent if i == 1 else INK}" stroke-width="6" opacity="0.8" transform="rotate(-8 400 210)"/>'
            for i, s in enumerate((300, 220, 140)))
    if kind == "octagon":
        angles = [math.radians(22.5 + 45 * k) for k in range(8)]
        rings = [" L ".join(f"{400 + r * math.cos(a):.0f} {200 + r * math.sin(a):.0f}" for a in angles)
                 for r in (170, 110)]
        return _path(f"M {rings[0]} Z") + _path(f"M {rings[1]} Z", stroke=accent)
    if kind == "pool":
        lanes = "".join(_line(0, 80 + i * 60, 800, 80 + i * 60, 4, accent if i % 2 else INK, 0.6) for i in range(5))
        return lanes + _waves(140, accent, 2, 10) + _circle(600, 200, 22, fill=INK, stroke=INK)
    if kind == "dive":
        return (_line(60, 90, 340, 90, 12) + _line(300, 90, 300, 400, 8, opacity=0.4) + _waves(330, accent)
                + _path("M 380 80 Q 520 60 560 290", stroke=accent, width=6) + _circle(560, 300, 16, fill=INK))
    if kind == "rugby":
        return (_path("M 470 60 L 470 330 M 650 60 L 650 330 M 470 230 L 650 230", width=9)
                + f'<ellipse cx="250" cy="220" rx="120" ry="72" fill="{accent}" opacity="0.95" '
                'transform="rotate(-25 250 220)"/>' + _line(190, 240, 310, 190, 4, "#1b1b1e"))
    if kind == "skate":
        return (_path("M -20 360 Q 300 360 420 150", width=9) + _path(
            "M 470 250 Q 470 225 500 225 L 700 225 Q 730 225 730 250", stroke=accent, width=14)
                + _circle(530, 262, 16, fill=INK) + _circle(670, 262, 16, fill=INK))
    if kind == "hurdle":
        return (_line(200, 120, 200, 370, 10) + _line(600, 120, 600, 370, 10)
                + "".join(_line(200, 160 + i * 45, 600, 160 + i * 45, 12, accent if i % 2 else INK) for i in range(4)))
    if kind == "surf":
        return (_path("M -20 380 C 160 380 260 120 460 120 C 640 120 660 300 540 300 C 470 300 470 220 540 220",
                      width=12) + _path("M -20 410 Q 400 360 820 410", stroke=accent, width=6)
                + f'<ellipse cx="330" cy="250" rx="90" ry="16" fill="{accent}" transform="rotate(-30 330 250)"/>')
    if kind == "court":
        return (f'<rect x="120" y="70" width="560" height="290" fill="none" stroke="{INK}" stroke-width="5" '
                'opacity="0.8"/>' + _line(400, 60, 400, 370, 7) + _line(190, 140, 610, 140, 3)
                + _line(190, 290, 610, 290, 3) + _ball(540, 210, 45, accent, "tennis"))
    if kind == "target":
        colors = [INK, "#1b1b1e", "#48cae4", "#e63946", accent]
        return "".join(_circle(560, 210, 150 - i * 30, fill=c, stroke=c, width=1, opacity=0.9)
                       for i, c in enumerate(colors)) + _line(120, 330, 540, 220, 6) + _path(
            "M 120 330 l -30 -5 m 30 5 l -10 25", width=6)
    if kind == "sail":
        return _waves(340, accent) + _path("M 380 60 L 380 300 L 560 300 Z", fill=INK, opacity=0.9) + _path(
            "M 365 90 L 365 300 L 240 300 Z", fill=accent, stroke=accent, opacity=0.9) + _path(
            "M 220 315 L 590 315 L 550 345 L 260 345 Z", fill=INK, opacity=0.9)
    raise ValueError(f"unknown motif {kind!r}")


def render_svg(slug: str) -> str:
    """The SVG illustration of sport `slug` (a key of SPORTS)."""
    style = SPORTS[slug]
    start, end, accent = style.colors
    rng = random.Random(int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big"))
    dots = "".join(
        _circle(rng.randint(0, WIDTH), rng.randint(0, HEIGHT), rng.randint(20, 90), fill=INK, stroke="none",
                width=0, opacity=round(rng.uniform(0.04, 0.1), 2)) for _ in range(7))
    title = escape(style.name)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{title}">\n<title>{title}</title>\n'
        f'<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{start}"/>'
        f'<stop offset="1" stop-color="{end}"/></linearGradient></defs>\n'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>\n{dots}\n{_motif(style.motif, accent)}\n'
        f'<rect x="0" y="{HEIGHT - 70}" width="{WIDTH}" height="70" fill="#000000" opacity="0.28"/>\n'
        f'<text x="32" y="{HEIGHT - 24}" font-family="Arial, Helvetica, sans-serif" font-size="34" '
        f'font-weight="700" fill="{INK}">{title}</text>\n</svg>\n'
    )


def image_url(slug: str) -> str:
    """URL of the illustration as served by the app (`assets/` is the web root)."""
    return f"/sports/{slug}.svg"


def write_all(directory: Path = ASSETS_DIR, render: Callable[[str], str] = render_svg) -> list[Path]:
    """(Re)write every sport illustration; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for slug in SPORTS:
        path = directory / f"{slug}.svg"
        path.write_text(render(slug), encoding="utf-8")
        written.append(path)
    return written
