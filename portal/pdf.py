"""PDF documents the portal produces (fpdf2), in a font that covers the reader's language."""

from pathlib import Path

from fpdf import FPDF

# DejaVu Sans (Debian's fonts-dejavu-core) covers most scripts; without it the PDF falls back to
# fpdf2's built-in Helvetica, which covers Latin-1 only.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "})


class UnicodePDF(FPDF):
    """A Letter-size PDF in DejaVu Sans when installed (most scripts), else Latin-1 Helvetica."""

    def __init__(self):
        super().__init__(format="Letter")
        self.family, self.unicode = "Helvetica", False
        if all((FONT_DIR / name).is_file() for name in FONT_FILES.values()):
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(FONT_DIR / name))
            self.family, self.unicode = "DejaVu", True

    def use(self, style, size):
        self.set_font(self.family, style, size)

    def printable(self, value):
        """The value as this PDF's fonts can show it."""
        if self.unicode:
            return value or ""
        return (value or "").translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")
