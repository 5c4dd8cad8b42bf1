"""A Pillow canvas measured in inches, for the text-heavy report plots (heatmaps, histograms).

NOTE: matplotlib 3.11 lays out and renders text glyph by glyph in Python: ~1 ms per text plus
~40 us per character, and an Axes with its ticks costs ~50 ms. The heatmaps and histograms are
hundreds of labelled cells and bars, so they are drawn here with Pillow (FreeType in C, ~20x
faster), in matplotlib's fonts, colors and point sizes; the project plots stay in matplotlib.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.font_manager import FontProperties, findfont
from PIL import Image, ImageDraw, ImageFont

from comparisons.projects.shared.files import DPI, write_png

Color = str | tuple


@cache
def _font(size_pt: float, bold: bool) -> ImageFont.FreeTypeFont:
    path = findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"))
    return ImageFont.truetype(path, round(size_pt * DPI / 72), layout_engine=ImageFont.Layout.BASIC)


@cache
def rgb(color: Color) -> tuple[int, int, int]:
    """A matplotlib color (name, '#rrggbb', 'C3', (r, g, b) in 0..1) as 0..255 integers."""
    return tuple(round(255 * c) for c in to_rgb(color))


class Canvas:
    """A white RGB image; coordinates in inches from the top-left corner, line widths and text in points."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.image = Image.new("RGB", (self.px(width), self.px(height)), "white")
        self.draw = ImageDraw.Draw(self.image)

    @staticmethod
    def px(inches: float) -> int:
        """Inches to whole pixels at DPI."""
        return round(inches * DPI)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Color | None = None,
             outline: Color | None = None, width_pt: float = 1.0) -> None:
        """A rectangle between two corners; outline drawn inside it."""
        left, top = self.px(x0), self.px(y0)
        box = (left, top, max(left, self.px(x1) - 1), max(top, self.px(y1) - 1))  # at least a pixel
        self.draw.rectangle(box, fill=None if fill is None else rgb(fill),
                            outline=None if outline is None else rgb(outline),
                            width=max(1, round(width_pt * DPI / 72)) if outline is not None else 0)

    def line(self, points: list[tuple[float, float]], color: Color = "black", width_pt: float = 0.8,
             dash: float = 0.0) -> None:
        """A polyline; dash > 0 draws a vertical or horizontal segment as dashes of that length (inches)."""
        width = max(1, round(width_pt * DPI / 72))
        if dash <= 0:
            self.draw.line([(self.px(x), self.px(y)) for x, y in points], fill=rgb(color), width=width)
            return
        (x0, y0), (x1, y1) = points
        length = abs(x1 - x0) + abs(y1 - y0)
        for start in np.arange(0.0, length, 2 * dash):
            stop = min(start + dash, length) / length
            begin = start / length
            self.draw.line([(self.px(x0 + (x1 - x0) * begin), self.px(y0 + (y1 - y0) * begin)),
                            (self.px(x0 + (x1 - x0) * stop), self.px(y0 + (y1 - y0) * stop))],
                           fill=rgb(color), width=width)

    def text(self, x: float, y: float, text: str, size_pt: float = 8.0, color: Color = "black",
             anchor: str = "la", bold: bool = False) -> None:
        """Text at (x, y); Pillow's anchor: [l|m|r] then [a|m|d] (top, middle, bottom), lines alike."""
        align = {"l": "left", "m": "center", "r": "right"}[anchor[0]]
        self.draw.multiline_text((self.px(x), self.px(y)), text, fill=rgb(color), font=_font(size_pt, bold),
                                 anchor=anchor, align=align, spacing=round(0.2 * size_pt * DPI / 72))

    def paste(self, pixels: np.ndarray, x: float, y: float) -> None:
        """An RGB array (rows, columns, 3 uint8) with its top-left corner at (x, y)."""
        self.image.paste(Image.fromarray(pixels), (self.px(x), self.px(y)))

    def text_width(self, text: str, size_pt: float = 8.0) -> float:
        """Width in inches of the longest line of text."""
        return max(_font(size_pt, False).getlength(line) for line in text.split("\n")) / DPI

    def pixels(self) -> np.ndarray:
        """The image as a (height, width, 3) uint8 array."""
        return np.asarray(self.image)

    def save(self, path: Path) -> Path:
        """Write the PNG atomically (projects.shared.files.write_png)."""
        return write_png(self.pixels(), path)
