"""MediaWiki's namespace names, image options and redirect words, in the wiki's languages.

A wiki in German writes `[[Kategorie:…]]`, `[[Datei:…|mini|…]]` and
`#WEITERLEITUNG`; the export keeps those words. The names below are
MediaWiki's own: `$namespaceNames` and `$namespaceAliases` (Media = -2,
File = 6 with its old "Image" alias, Category = 14) and the `$magicWords`
`redirect` and `img_*` entries of `languages/messages/Messages{En,De,Fr,Es,It,
Nl,Pl,Pt,Pt_br,Ru,Sv,Ja,Zh,Zh_hans,Zh_hant,Af}.php` of MediaWiki 1.39 (English:
1.47; Chinese: also the names of 1.43 and later), GPL-2.0-or-later,
https://github.com/wikimedia/mediawiki. The English names are MediaWiki's
canonical ones and hold on every wiki, whatever its language.

MediaWiki compares a namespace name without regard to case (and `_` is a
space); so does this table.
"""
from __future__ import annotations

import re

from .text import name_key
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Namespaces", "namespaces", "image_option_pattern", "is_image_option", "file_text_pattern",
           "LANGUAGE_CODES"]

MEDIA, FILE, CATEGORY = -2, 6, 14

# language -> {namespace number: names, the first being the current name}
_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {MEDIA: ("Media",), FILE: ("File", "Image"), CATEGORY: ("Category",)},
    "de": {MEDIA: ("Medium", "Media"), FILE: ("Datei", "Bild"), CATEGORY: ("Kategorie",)},
    "fr": {MEDIA: ("Média",), FILE: ("Fichier", "Image"), CATEGORY: ("Catégorie",)},
    "es": {MEDIA: ("Medio",), FILE: ("Archivo", "Imagen"), CATEGORY: ("Categoría",)},
    "it": {MEDIA: ("Media",), FILE: ("File", "Immagine"), CATEGORY: ("Categoria",)},
    "nl": {MEDIA: ("Media",), FILE: ("Bestand", "Afbeelding"), CATEGORY: ("Categorie",)},
    "pl": {MEDIA: ("Media",), FILE: ("Plik", "Grafika"), CATEGORY: ("Kategoria",)},
    # Portuguese and Brazilian Portuguese (Mídia is pt-br's)
    "pt": {MEDIA: ("Multimédia", "Mídia"), FILE: ("Ficheiro", "Arquivo", "Imagem"), CATEGORY: ("Categoria",)},
    "ru": {MEDIA: ("Медиа",), FILE: ("Файл", "Изображение"), CATEGORY: ("Категория",)},
    "sv": {MEDIA: ("Media",), FILE: ("Fil", "Bild"), CATEGORY: ("Kategori",)},
    "ja": {MEDIA: ("メディア",), FILE: ("ファイル", "画像"), CATEGORY: ("カテゴリ",)},
    "zh": {MEDIA: ("Media", "媒体", "媒體", "媒体文件", "媒体档案", "媒體檔案", "媒體文件"),
           FILE: ("File", "文件", "档案", "图像", "图片", "檔案", "圖像", "圖片"),
           CATEGORY: ("Category", "分类", "分類")},
    "af": {MEDIA: ("Media",), FILE: ("Lêer", "Beeld"), CATEGORY: ("Kategorie",)},
}

# `redirect` magic words (without the leading '#'), every language above.
_REDIRECT_WORDS = (
    "REDIRECT", "WEITERLEITUNG", "REDIRECTION", "REDIRECCIÓN", "REDIRECCION", "RINVIA", "RINVIO",
    "RIMANDO", "DOORVERWIJZING", "PATRZ", "PRZEKIERUJ", "TAM", "REDIRECIONAMENTO",
    "ПЕРЕНАПРАВЛЕНИЕ", "ПЕРЕНАПР", "OMDIRIGERING", "転送", "リダイレクト", "重定向", "重新導向", "AANSTUUR",
)

# `img_*` magic words that take no value (thumb, frame, alignment, upright...).
_IMAGE_WORDS = (
    # en
    "thumb", "thumbnail", "frame", "framed", "enframed", "frameless", "border", "left", "right", "center",
    "centre", "none", "upright", "baseline", "sub", "super", "sup", "top", "text-top", "middle", "bottom",
    "text-bottom",
    # de
    "mini", "miniatur", "gerahmt", "rahmenlos", "links", "rechts", "zentriert", "ohne", "hochkant",
    "grundlinie", "hoch", "tief", "hochgestellt", "tiefgestellt", "oben", "text-oben", "mitte", "unten", "text-unten",
    # fr
    "vignette", "cadre", "encadré", "encadre", "sans_cadre", "non_encadré", "non_encadre", "bordure", "gauche",
    "droite", "centré", "néant", "neant", "redresse", "exposant", "indice", "haut", "bas", "milieu", "ligne-de-base",
    "haut-texte", "haut-txt", "bas-texte", "bas-txt",
    # es
    "miniatura", "miniaturadeimagen", "marco", "enmarcado", "enmarcada", "sinmarco", "sin_enmarcar", "sinenmarcar",
    "izquierda", "derecha", "centro", "centrado", "centrada", "centrar", "ninguno", "ninguna", "borde",
    # it
    "destra", "sinistra", "nessuno", "riquadrato", "incorniciato", "senza_cornice", "verticale", "originale",
    "bordo", "pedice", "testo-sopra", "testo-sotto",
    # nl
    "miniatuur", "omkaderd", "kaderloos", "rand", "rechts", "links", "gecentreerd", "geen", "rechtop", "grondlijn",
    "tekst-boven", "tekst-beneden",
    # pl
    "mały", "ramka", "bezramki", "bez_ramki", "lewo", "prawo", "środek", "centruj", "brak", "tło",
    # pt
    "miniaturadaimagem", "esquerda", "direita", "nenhum", "commoldura", "comborda", "semmoldura", "semborda",
    "borda", "linhadebase",
    # ru
    "мини", "миниатюра", "обрамить", "безрамки", "граница", "слева", "справа", "центр", "без", "сверху",
    "посередине", "снизу", "основание", "текст-сверху", "текст-снизу",
    # sv
    "miniatyr", "ram", "inramad", "ramlös", "kantlinje", "vänster", "höger", "centrerad", "ingen", "baslinje",
    "text-topp", "text-botten", "stående",
    # ja
    "サムネイル", "フレーム", "フレームなし", "左", "右", "中央", "なし", "無し", "境界", "ボーダー", "ベースライン",
    "上端", "下端", "中心", "文上端", "文下端", "上付き", "下付き",
    # zh
    "缩略图", "縮圖", "有框", "无框", "無框", "边框", "邊框", "左", "右", "居中", "置中", "无", "無", "顶部", "底部",
    "基线", "文字顶部", "文字底部", "垂直置頂", "垂直置中", "垂直置底", "文字置頂", "文字置底", "上標", "下標",
    # af
    "duimnael", "omraam", "raam", "raamloos", "regs", "middel", "senter", "geen", "teks-bo", "teks-onder",
)
# `img_*` magic words that take a value (`upright=1.3`, `link=…`, `alt=…`).
_IMAGE_KEYS = (
    "upright", "hochkant", "redresse", "verticale", "rechtop", "stående", "page", "seite", "pagina", "página",
    "strona", "страница", "sida", "ページ", "页数", "頁", "link", "verweis", "lien", "vínculo", "vinculo",
    "enlace", "koppeling", "verwijzing", "ligação", "ссылка", "länk", "skakel", "リンク", "链接", "連結",
    "alt", "alternativtext", "альт", "代替文", "代替画像", "替代", "替代文本", "class", "klasse", "classe", "lang",
    "sprache", "langue", "idioma", "taal", "语言", "語言", "thumb", "thumbnail", "mini", "miniatur", "vignette",
    "miniatura", "miniaturadeimagen", "miniaturadaimagem", "miniatuur", "mały", "мини", "миниатюра", "サムネイル",
    "缩略图", "縮圖",
)

# Language codes that prefix interlanguage links (`de:Seite`): Wikipedia's, the largest first.
LANGUAGE_CODES = frozenset("""
en de fr es it nl pl pt ru sv ja zh af ar arz az be be-tarask bg bn br bs ca ce ceb cs cy da el eo et eu fa fi
fy ga gl he hi hr ht hu hy id is ka kk ko ku la lb lt lv mk ml mn ms my nn no nb oc pa ro sh simple sk sl sq sr
sw ta te tg th tl tr tt uk ur uz vi war yi zh-yue zh-min-nan zh-classical als an ast bar bat-smg cv fo gd hif
ia ilo io jv kn ky li lmo mg mr nap nds ne new os pms qu rm sa scn sco si so su vec vo wa yo zu am ba bh bpy
ckb co crh diq dv eml ext frr fur gan gn hak hsb ie ig ilo kab km ksh kw lij mai map-bms mhr min mt mzn nah
nds-nl ps pnb rue sah sc se sgs szl tk ug vls wuu xmf yue za zea
""".split())


@dataclass(frozen=True)
class Namespaces:
    """The namespace prefixes a wiki's links may carry, all languages at once."""

    category: frozenset[str]
    file: frozenset[str]
    media: frozenset[str]
    redirect_words: tuple[str, ...]
    custom: dict[str, str] = field(default_factory=dict)  # prefix key -> "category" | "file" | "media" | "drop"

    def kind(self, title: str) -> tuple[str, str]:
        """Return (kind, rest) for a link target: kind is "category", "file", "media",
        "interlanguage", "drop" (a custom namespace left out) or "" (an ordinary page)."""
        prefix, colon, rest = title.partition(":")
        if not colon:
            return "", title
        key = name_key(prefix)
        if key in self.custom:
            return self.custom[key], rest.strip()
        for kind, names in (("category", self.category), ("file", self.file), ("media", self.media)):
            if key in names:
                return kind, rest.strip()
        # `de:Seite`; "War: A History" (a space after the colon) is a title, not Waray's wiki.
        if key in LANGUAGE_CODES and rest.strip() and not rest[:1].isspace():
            return "interlanguage", rest.strip()
        return "", title


@lru_cache(maxsize=32)
def namespaces(custom: tuple[tuple[str, str], ...] = ()) -> Namespaces:
    """The table of every language above, with `[links] namespaces` of book.toml added ((prefix, kind) pairs)."""
    def names(number: int) -> frozenset[str]:
        return frozenset(name_key(n) for table in _NAMES.values() for n in table[number])

    return Namespaces(category=names(CATEGORY), file=names(FILE), media=names(MEDIA),
                      redirect_words=_REDIRECT_WORDS, custom={name_key(p): k for p, k in custom})


@lru_cache(maxsize=1)
def _one_option() -> re.Pattern[str]:
    words = sorted(set(_IMAGE_WORDS), key=len, reverse=True)
    keys = sorted(set(_IMAGE_KEYS), key=len, reverse=True)
    return re.compile(r"(?:\d*(?:x\d+)?\s*px|(?:" + "|".join(map(re.escape, keys)) + r")\s*=.*"
                      r"|(?:" + "|".join(map(re.escape, words)) + r"))", re.I | re.S)


def is_image_option(text: str) -> bool:
    """Whether one `|`-separated part of a file link is an image option (`thumb`, `mini`, `upright=1.3`, `200px`)."""
    return _one_option().fullmatch(text.strip()) is not None


def file_text_pattern() -> re.Pattern[str]:
    """A file named as text (`Datei:A.jpg|Caption`, what a `<gallery>` becomes): group 1 is the caption."""
    names = sorted({n for table in _NAMES.values() for n in (*table[FILE], *table[MEDIA])}, key=len, reverse=True)
    prefix = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    return re.compile(rf"(?<![\w/]){prefix}:[^\n|\\<>\[\]]*?\.(?:png|jpe?g|gif|svg|tiff?|webp|ogg|ogv|oga|webm|"
                      rf"pdf|djvu|mp3|mp4|wav|flac|midi?|xcf|stl)(?:[ \t]*\\?\|((?:(?!{prefix}:)[^\n\[\]<>])*))?",
                      re.I)


def image_option_pattern() -> re.Pattern[str]:
    """A run of image options before a caption: `mini|hochkant=1.3|` (pipes as the export wrote them)."""
    words = sorted({w for w in _IMAGE_WORDS}, key=len, reverse=True)
    keys = sorted(set(_IMAGE_KEYS), key=len, reverse=True)
    option = (r"(?:\d+(?:x\d+)?px|x\d+px|(?:" + "|".join(map(re.escape, keys)) + r")\s*=[^|\\\n\]\"<>]*"
              r"|(?:" + "|".join(map(re.escape, words)) + r"))")
    # Only where a caption starts (alt text, a title, a caption element, a string's start): a pipe
    # table's cell that says "left" is no option.
    return re.compile(r"(?:(?<=[\[\">])|^)(?=\w)(?:" + option + r"[ \t]*\\?\|[ \t]*)+", re.I)
