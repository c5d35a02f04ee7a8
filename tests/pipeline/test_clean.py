"""Stage 1: every quirk of the export dialect undone."""
from pipeline.clean import clean_article, decode, read_article
from pipeline.model import SourceFile


def test_wikilink_artefacts_removed() -> None:
    text = ('# T\n\npro-"<a   href="Communism.md" class="wikilink" title="communist">"communist</a>\n'
            'ideology, "<a   href="Joseph_Stalin.md" class="wikilink" title="Joseph Stalin">"Joseph\n'
            'Stalin</a> and "<a   href="Vladimir_Lenin.md" class="wikilink"\ntitle="Vladimir Lenin">"Vladimir Lenin</a>.\n')
    md = clean_article("T.md", text).markdown
    assert 'pro-<a href="wiki:Communism">communist</a>' in md
    assert '<a href="wiki:Joseph_Stalin">Joseph\nStalin</a>' in md
    assert '<a href="wiki:Vladimir_Lenin">Vladimir Lenin</a>' in md
    assert '"<a' not in md and '>"' not in md and ".md" not in md


def test_real_quotation_mark_next_to_the_stray_one_is_kept() -> None:
    text = 'as ""<a   href="Bolshevism.md" class="wikilink" title="Bolshevism">"Bolshevism</a>."\n'
    assert 'as "<a href="wiki:Bolshevism">Bolshevism</a>."' in clean_article("T.md", text).markdown


def test_entities_sections_and_blockquote_wrapping() -> None:
    text = ('> but "<a   href="Workers&#39;_Council.md"\n> class="wikilink" title="x">"councils</a> and\n'
            '> "<a   href="Bittorrent#Bad_Peers.md" class="wikilink" title="y">"peers</a>\n')
    md = clean_article("T.md", text).markdown
    assert '<a href="wiki:Workers%27_Council">councils</a>' in md
    assert '<a href="wiki:Bittorrent#Bad_Peers">peers</a>' in md


def test_categories_become_metadata() -> None:
    text = ('# T\n\nBody.\n\n## References\n\n<references/>\n\n'
            '"<a   href="Category:Anarchist_Concepts.md" class="wikilink"\ntitle="Category:Anarchist Concepts">"Category:Anarchist Concepts</a>\n'
            '"<a   href="Category:Concepts.md" class="wikilink" title="Category:Concepts">"Category:Concepts</a>\n')
    article = clean_article("T.md", text)
    assert article.categories == ["Anarchist Concepts", "Concepts"]
    assert "Category" not in article.markdown and "references" not in article.markdown.lower()


def test_redirect_page_is_an_alias() -> None:
    text = ('1.  REDIRECT "<a   href="Revolutionary_Catalonia.md" class="wikilink"\n'
            '    title="Revolutionary Catalonia">"Revolutionary Catalonia</a>\n')
    article = clean_article("Catalonia_1936.md", text)
    assert article.redirect == "Revolutionary Catalonia"
    assert article.title == "Catalonia 1936"


def test_title_from_heading_or_file_name() -> None:
    assert clean_article("x.md", "# Kronstadt Rebellion\n\nText.\n").title == "Kronstadt Rebellion"
    assert clean_article("Workers'_Council.md", "Text only.\n").title == "Workers' Council"


def test_notes_are_taken_out_and_referenced() -> None:
    text = ("# T\n\nA claim.[^1] Another.[^2][^1]\n\n[^1]: Paul Avrich, *The Russian Anarchists*\n"
            "    (1967)\n\n[^2]: Britannica: Kronstadt Rebellion\n")
    article = clean_article("T.md", text)
    assert article.notes == {"1": "Paul Avrich, *The Russian Anarchists* (1967)",
                             "2": "Britannica: Kronstadt Rebellion"}
    assert article.markdown.count('<sup data-note="1"></sup>') == 2
    assert "[^" not in article.markdown


def test_undefined_and_unused_notes_are_reported() -> None:
    article = clean_article("T.md", "# T\n\nA.[^9]\n\n[^1]: Unused.\n")
    messages = [p.message for p in article.problems]
    assert any("[^9] is referenced but never defined" in m for m in messages)
    assert any("[^1] is defined but never referenced" in m for m in messages)


def test_mediawiki_emphasis() -> None:
    md = clean_article("T.md", "'''Bold''' and ''italic'' and '''''both'''''. Don't touch it's.\n").markdown
    assert md.startswith("**Bold** and *italic* and ***both***. Don't touch it's.")


def test_notes_in_code_fences_are_left_alone() -> None:
    md = clean_article("T.md", "```\n[^1]: not a note\n```\n").markdown
    assert "[^1]: not a note" in md


def test_decode_reports_bad_files() -> None:
    assert decode(SourceFile("e.md", b""))[1][0].message.startswith("empty file")
    assert "binary" in decode(SourceFile("b.md", b"\x89PNG\r\n\x1a\n\x00\x00"))[1][0].message
    text, problems = decode(SourceFile("w.md", "Café – naïve".encode("cp1252")))
    assert text == "Café – naïve" and problems[0].severity == "warning"
    assert "Windows-1252" in problems[0].message
    assert decode(SourceFile("u.md", "\ufeff# Título".encode("utf-8"))) == ("# Título", [])


def test_unusable_file_gives_an_article_without_title() -> None:
    article = read_article(SourceFile("empty.md", b"  \n"))
    assert article is not None and article.title == "" and article.problems[0].severity == "error"
