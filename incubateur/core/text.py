import re
import unicodedata


def fold(text: str) -> str:
    """Lowercase, without accents or extra spaces: the form search compares on both databases.

    `Maël` → `mael`, `Chaïb` → `chaib`, `Écologie` → `ecologie`, `Œuvre` → `oeuvre`.
    """
    text = (text or "").replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().casefold()


def euros(amount: int | None) -> str:
    """12 345 € (a narrow no-break space between thousands, as French typography wants); "—" for None."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"
