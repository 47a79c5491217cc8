"""A cheap look at whether a lead is written in a language the offline rules read.

The rules read English, German, French, Spanish, Dutch and Portuguese. A lead mostly in
another script (Cyrillic, Greek, Arabic, Hebrew, Chinese, Japanese, Korean, Thai, Devanagari)
or with more common words of another Latin-script language than of those six is flagged, so
the summary can say the offline qualifier could not read it instead of scoring it as empty.
Only the first few hundred characters are looked at.
"""

from __future__ import annotations

import re
import unicodedata

_SAMPLE = 600
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")  # the same words in ASCII text, found much faster
_READ_WORDS = {
    "English": "the a an and or of to in on for with is are was we our you your i my me it this "
    "that be have has need want would like can could will please thanks hi hello from at by",
    "German": "und der die das ist wir unser unsere ich mit für nicht ein eine bei sie auf zu von",
    "French": "et le la les est nous notre je avec pour pas un une des du au sur vous",
    "Spanish": "y el los las es somos nuestro nuestra yo con para no una del por usted",
    "Dutch": "en de het is wij we onze ik met voor niet een van bij op jullie",
    "Portuguese": "e o os as é somos nosso nossa eu com para não um uma do da em",
}
_READ = frozenset(word for words in _READ_WORDS.values() for word in words.split())
_OTHER = {
    "Italian": "il lo gli della delle che non sono siamo nostro nostra abbiamo questo anche "
    "perché vorremmo grazie buongiorno",
    "Polish": "jest się nie że na jesteśmy nasz nasza dla oraz bardzo dziękuję dzień dobry "
    "chcemy mamy",
    "Swedish": "och är att det vi har inte för med vår våra jag hej tack också",
    "Danish or Norwegian": "og er at det vi har ikke for med vores vår jeg hei tak også",
    "Finnish": "ja on ei että me meidän olemme minä kiitos hei myös kanssa",
    "Turkish": "ve bir bu için ile değil biz bizim merhaba teşekkürler çok var",
    "Czech": "a je se že na jsme náš naše pro není děkuji dobrý den chceme",
    "Indonesian or Malay": "dan yang di ini itu kami kita untuk dengan tidak terima kasih",
    "Romanian": "și este sunt nu pentru cu noi nostru noastră vă mulțumesc bună ziua",
}
_OTHER_WORDS = {
    word: language
    for language, words in _OTHER.items()
    for word in words.split()
    if word not in _READ
}
_SCRIPTS = (
    ("CYRILLIC", "Russian or another Cyrillic-script language"),
    ("GREEK", "Greek"),
    ("ARABIC", "Arabic"),
    ("HEBREW", "Hebrew"),
    ("CJK", "Chinese or Japanese"),
    ("HIRAGANA", "Japanese"),
    ("KATAKANA", "Japanese"),
    ("HANGUL", "Korean"),
    ("THAI", "Thai"),
    ("DEVANAGARI", "Hindi or another Devanagari-script language"),
)


def unread_language(text: str) -> str | None:
    """The language (or script) `text` seems to be in when the offline rules cannot read it,
    else None."""
    sample = text[:_SAMPLE]
    if not sample.isascii():
        script = _foreign_script(sample)
        if script:
            return script
    words = (_ASCII_WORD if sample.isascii() else _WORD).findall(sample.lower())
    if len(words) < 12 or _OTHER_WORDS.keys().isdisjoint(words):  # most leads: one C-level pass
        return None
    other_words = [language for word in words if (language := _OTHER_WORDS.get(word))]
    others: dict[str, int] = {}
    for language in other_words:
        others[language] = others.get(language, 0) + 1
    read = sum(1 for word in words if word in _READ)
    language, hits = max(others.items(), key=lambda item: item[1])
    return language if hits >= 3 and hits > read else None


def _foreign_script(sample: str) -> str | None:
    letters = [c for c in sample if c.isalpha()]
    foreign = [c for c in letters if ord(c) > 0x24F]
    if not letters or len(foreign) * 2 < len(letters):
        return None
    counts: dict[str, int] = {}
    for char in foreign:
        name = unicodedata.name(char, "")
        for key, language in _SCRIPTS:
            if name.startswith(key):
                counts[language] = counts.get(language, 0) + 1
                break
    return max(counts, key=counts.__getitem__) if counts else "a script it cannot read"
