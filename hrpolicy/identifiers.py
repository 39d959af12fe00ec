"""Personal identifiers (e-mail addresses, phone numbers, messenger links) and the one place that decides
what text from a manifest may be shown.

People consulted in surveilled settings and at-risk users are endangered if their contact details reach a
pull-request annotation, a step summary, a SARIF upload or a log. So every piece of manifest-derived text
that hrpolicy renders, whatever the output (finding messages, waiver fields, JSON pointers and paths,
error messages of every kind, every format), passes through :func:`shown` first. It looks for identifiers
in the text after undoing what hides them (Unicode NFKC, so a full-width ``＠`` is ``@``; percent and
HTML escapes such as ``%40`` and ``&#64;``; backslash escapes; runs of whitespace), and replaces each with
``[redacted]``, before the text is ever cut, escaped or quoted. Text without an identifier comes back
unchanged. HRDD-STK-002 fires on the same detector (the ``personal_identifier`` operator), so what the
rule reports and what the outputs withhold agree.

Detection:

* **E-mail addresses**: RE2 patterns (linear time), also spelled out (``jane [at] ngo [dot] org``, ``jane
  at ngo dot org`` with a generic top-level domain). Version tags (``user-data@v3``), image scales
  (``map@2x.png``), URL user names (``ssh://git@host``) and scp-style git remotes are not addresses.
* **Phone numbers**: Google's libphonenumber (the ``phonenumbers`` package, imported only when a text has a
  run of at least seven digits). International numbers (``+`` or ``00``) must be valid numbers; national
  ones must be valid in one of the regions in play (the manifest's countries plus a default set). Digits
  without any separator are counts, ids or timestamps unless they start with a trunk ``0`` (10 to 12
  digits) or look like an international number that lost its ``+`` (12 to 15 digits, not starting with
  ``1`` or ``20``, which epoch milliseconds and compact timestamps do). ISO dates and times, decimal
  numbers (coordinates), IPv4 addresses and version strings are never numbers.
* **Messenger links** that reach one person: ``wa.me/…``, ``api.whatsapp.com/send?phone=…``, ``t.me/+…``
  (private invitations) and ``signal.me/#…``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = ["REDACTED", "Identifier", "find", "has_identifier", "regions", "shown"]

REDACTED = "[redacted]"

#: Regions whose national number formats are always tried, besides the countries of the manifest at hand.
DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "MX", "IN", "CN", "RU", "TR", "VN", "ID")

# E-mail address, in any case: a local part (ASCII letters and digits, . _ % + -, and any non-ASCII
# character, so josé@ngo.org), then @ or [at] (at) {at} <at>, then a domain whose dots may be [dot] (dot) or
# " dot ", ending in a top-level label of two or more letters. RE2 has no look-around, so each pattern spells
# out the character allowed before and after a match.
# - After a path slash it is an address (vault://contacts/jane.doe@ngo.org). Straight after "://" it is the
#   user name of a URL (ssh://git@github.com/org/repo.git) and is not matched.
# - @v3, @v3.1 and @v2.beta are version tags, not domains (policy://gov-requests/user-data@v3): a domain
#   whose first label is v followed by a digit is never matched, nor is @2x / @3x (map@2x.png). Accepted
#   miss: a real address at such a host (jane@v2x.org).
# - user@host:path is an scp-style git remote (git@github.com:org/repo.git): an address directly followed by
#   ":" and a path character or a port is not matched; "write to jane@ngo.org: she ..." is.
_EMAIL = (
    r"(?i)(?:^|[^/0-9a-z._%+\x{80}-\x{10ffff}-]|[^/]/)([0-9a-z._%+\x{80}-\x{10ffff}-]+"
    r"(?:@|\s*[\[({<]\s*at\s*[\])}>]\s*)"
    r"(?:[a-uw-z\x{80}-\x{10ffff}][0-9a-z\x{80}-\x{10ffff}-]*|v(?:[a-z\x{80}-\x{10ffff}-][0-9a-z\x{80}-\x{10ffff}-]*)?"
    r"|[0-9]+(?:[a-wyz\x{80}-\x{10ffff}-][0-9a-z\x{80}-\x{10ffff}-]*|x[0-9a-z\x{80}-\x{10ffff}-]+)?)"
    r"(?:(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)[0-9a-z\x{80}-\x{10ffff}-]+)*"
    r"(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)[a-z\x{80}-\x{10ffff}]{2,})"
    r"(?:$|[^0-9a-z_.:\x{80}-\x{10ffff}-]|[.:](?:$|[^0-9a-z_~./\x{80}-\x{10ffff}-]))"
)
# An address spelled out in plain words: jane at ngo dot org. Only with every dot spelled out (plain "at"
# before a real domain is prose: "guidance at ohchr.org") and a generic top-level domain (com org net edu gov
# int info io), because "dot in", "dot is", "dot on" are English. Accepted false positive: "at the dot com".
_EMAIL_SPELLED = (
    r"(?i)(?:^|[^/0-9a-z._%+\x{80}-\x{10ffff}-]|[^/]/)([0-9a-z._%+\x{80}-\x{10ffff}-]+\s+at\s+"
    r"[0-9a-z\x{80}-\x{10ffff}-]+(?:(?:\s+dot\s+|\s*[\[({<]\s*dot\s*[\])}>]\s*)[0-9a-z\x{80}-\x{10ffff}-]+)*"
    r"(?:\s+dot\s+|\s*[\[({<]\s*dot\s*[\])}>]\s*)(?:com|org|net|edu|gov|int|info|io))"
    r"(?:$|[^0-9a-z_.:\x{80}-\x{10ffff}-]|[.:](?:$|[^0-9a-z_~./\x{80}-\x{10ffff}-]))"
)
# Links that open a chat with one person.
_MESSENGER = (
    r"(?i)(?:^|[^0-9a-z_.-])((?:https?://)?(?:www\.)?"
    r"(?:wa\.me/\+?[0-9]{6,}|api\.whatsapp\.com/send/?\?(?:[^\s]*&)?phone=\+?[0-9]{6,}"
    r"|t\.me/(?:\+|joinchat/)[0-9a-z_-]{4,}|signal\.me/#[0-9a-z]+/[^\s]+))"
)
# A run that may be a phone number: digits with the separators numbers are written with, at least seven
# digits, not inside a word, a path, an address or a version.
_PHONE_CANDIDATE = (
    r"(?:^|[^0-9A-Za-z_/@.+-])((?:\+|00)?\(?[0-9][0-9 ().\-/]{5,30}[0-9])(?:$|[^0-9A-Za-z_/@-])"
)
_ISO_DATE_OR_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}:[0-9]{2}")
_DECIMAL = re.compile(r"[+-]?[0-9]+[.,][0-9]+")
_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){2,3}")  # IPv4 addresses and version strings
_SEPARATED = re.compile(r"[0-9][ ().\-/]+[0-9]")
_RANGE = re.compile(r"([0-9]{4,})-([0-9]{4,})")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_SPACES = re.compile(r"\s+")
#: Characters that may hide an identifier (an address's @, an escape's % or \\, an entity's &), in ASCII
#: texts: the full-width ＠ and ﹫ are not ASCII, which the test before this one catches.
_MAY_HIDE_ASCII = re.compile(r"[@%&\\]")
_SEVEN_DIGITS = re.compile(r"(?:\D*\d){7}")


class Identifier(NamedTuple):
    kind: str  # "email", "phone" or "messenger"
    start: int  # in the normalised text
    end: int


_regions: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("hrpolicy_regions", default=())


@contextlib.contextmanager
def regions(countries: Iterable[object]) -> Iterator[None]:
    """Within the block, national phone formats of ``countries`` (ISO codes) are tried too."""
    extra = tuple(sorted({c for c in countries if isinstance(c, str) and len(c) == 2 and c.isalpha()}))
    token = _regions.set(extra)
    try:
        yield
    finally:
        _regions.reset(token)


def normalise(text: str) -> str:
    """The text as a reader would take it: escapes undone, NFKC, whitespace collapsed to single spaces."""
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    if "%" in text:
        text = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "&" in text:
        import html  # rare in manifests, and its entity table costs an import

        text = html.unescape(text)
    if not text.isascii():  # NFKC leaves ASCII as it is
        import unicodedata  # a 1.5 ms extension to load: only for texts that need it

        text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text)


def _worth_a_look(text: str) -> bool:
    """False when the text can hold no identifier at all (most texts): a cheap test before any work."""
    if not text.isascii() or _MAY_HIDE_ASCII.search(text):
        return True
    lowered = text.lower()
    if "at" in lowered and "dot" in lowered:  # spelled-out addresses
        return True
    if ".me/" in lowered or "whatsapp" in lowered:
        return True
    return _SEVEN_DIGITS.match(text) is not None


def find(text: str) -> list[Identifier]:
    """Every identifier in ``normalise(text)``, in order (spans index the normalised text)."""
    found = _scan(text, _regions.get())
    return list(found[1]) if found else []


#: Texts up to this length have their answer remembered: the same few texts (keys, ids, roles, dates)
#: are asked about hundreds of times per manifest by the rules, the messages and every output.
REMEMBERED_LENGTH = 200


def _scan(text: str, extra_regions: tuple[str, ...]) -> tuple[str, tuple[Identifier, ...]] | None:
    """(the normalised text, its identifiers), or None when it holds none."""
    if len(text) <= REMEMBERED_LENGTH:
        return _scan_short(text, extra_regions)
    return _scan_text(text, extra_regions)


def _scan_text(text: str, extra_regions: tuple[str, ...]) -> tuple[str, tuple[Identifier, ...]] | None:
    if not _worth_a_look(text):
        return None
    normal = normalise(text)
    found = _find(normal, extra_regions)
    return (normal, found) if found else None


_scan_short = functools.lru_cache(maxsize=16384)(_scan_text)


def _find(text: str, extra_regions: tuple[str, ...]) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    lowered = text.lower()
    # Each pattern only where the text has what it cannot match without (most texts that get here are
    # dates and counts, for the phone test, or messages in English, full of "at"): an address has "@" or
    # a bracketed "at"; a spelled-out one " at " and "dot" (whitespace is single spaces by now); a chat
    # link ".me/" or "whatsapp".
    mails = "@" in text or ("at" in lowered and any(c in text for c in "[({<"))
    spelled = " at " in lowered and "dot" in lowered
    chats = ".me/" in lowered or "whatsapp" in lowered
    for kind, pattern, wanted in (
        ("email", _EMAIL, mails),
        ("email", _EMAIL_SPELLED, spelled),
        ("messenger", _MESSENGER, chats),
    ):
        if wanted:
            found.extend(Identifier(kind, *m) for m in _search(pattern, text))
    if sum(1 for c in text if c.isdigit()) >= 7:
        taken = [(i.start, i.end) for i in found]
        for start, end in _search(_PHONE_CANDIDATE, text):
            if any(s <= start < e for s, e in taken):
                continue
            if _is_phone(text, start, end, extra_regions):
                found.append(Identifier("phone", start, end))
    return tuple(sorted(found, key=lambda i: i.start))


def _search(pattern: str, text: str) -> Iterator[tuple[int, int]]:
    """Spans of group 1 of every match (the patterns consume a boundary character on each side)."""
    from hrpolicy.values import compile_regex  # RE2, linear time: no manifest text can make detection hang

    regex = compile_regex(pattern)
    pos = 0
    while pos <= len(text):
        m = regex.search(text, pos)
        if m is None:
            return
        yield m.span(1)
        pos = max(m.end(1), pos + 1)


def _is_phone(text: str, start: int, end: int, extra_regions: tuple[str, ...]) -> bool:
    raw = text[start:end]
    if end < len(text) - 1 and text[end] in ".," and text[end + 1].isdigit():
        return False  # a decimal part follows: a number, not a phone number
    digits = "".join(c for c in raw if c.isdigit())
    if not 7 <= len(digits) <= 17:
        return False
    if _ISO_DATE_OR_TIME.search(raw) or _DECIMAL.fullmatch(raw.strip("()")) or _DOTTED.fullmatch(raw):
        return False
    international = raw.startswith("+") or raw.startswith("00")
    if "/" in raw and not (international or raw.startswith("0")):
        return False  # 2016/679, 2021/821: numbered acts; a slash separates an area code only after a 0
    if _RANGE.fullmatch(raw):
        return False  # 75001-75020, 1000-2000: a range
    if not international and not _SEPARATED.search(raw):
        # Digits alone are ids, counts or timestamps, unless a trunk 0 or a lost "+" gives them away.
        if raw.startswith("0") and 10 <= len(digits) <= 12:
            pass
        elif 12 <= len(digits) <= 15 and not digits.startswith(("1", "20")):
            return _valid("+" + digits, None)
        else:
            return False
    if international:
        return _valid("+" + raw[2:].lstrip() if raw.startswith("00") else raw, None)
    return any(_valid(raw, region) for region in (*extra_regions, *DEFAULT_REGIONS))


@functools.lru_cache(maxsize=4096)
def _valid(number: str, region: str | None) -> bool:
    """Whether the whole of ``number`` is a valid phone number, written as numbers are written there:
    libphonenumber's matcher, leniency VALID for international numbers and STRICT_GROUPING (the digits
    grouped the way the region groups them) for national ones. The matcher's own checks also leave out
    dates, times and other shapes that only look like numbers."""
    import phonenumbers  # ~20 ms to import: only when a text has a digit run worth parsing

    leniency = phonenumbers.Leniency.VALID if region is None else phonenumbers.Leniency.STRICT_GROUPING
    try:
        return any(m.raw_string == number for m in phonenumbers.PhoneNumberMatcher(number, region, leniency))
    except Exception:  # the library's own parsing errors: not a number it recognises
        return False


KINDS = ("email", "phone", "messenger")


def has_identifier(text: str, kinds: Iterable[str] = KINDS) -> bool:
    hit = _scan(text, _regions.get())
    if hit is None:
        return False
    wanted = kinds if isinstance(kinds, (frozenset, set, tuple)) else tuple(kinds)
    return any(i.kind in wanted for i in hit[1])


def shown(text: str) -> str:
    """``text`` as it may be shown: unchanged unless it holds an identifier; then normalised, with every
    identifier replaced by ``[redacted]``."""
    hit = _scan(text, _regions.get())
    if hit is None:
        return text
    normal, found = hit
    out, pos = [], 0
    for ident in found:
        if ident.start < pos:
            continue
        out.append(normal[pos : ident.start])
        out.append(REDACTED)
        pos = ident.end
    out.append(normal[pos:])
    return "".join(out)
