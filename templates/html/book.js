/* The reader's app on top of a page that works without it: sidebar, current chapter, notes in place, search. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const narrow = matchMedia("(max-width: 63.99rem)");
  const sidebar = $("sidebar"), toggle = $("toc-toggle"), panel = $("sidebar-panel");

  // Scroll the sidebar (not the page) so that `link` is in view.
  const reveal = (link) => {
    const box = panel.getBoundingClientRect(), at = link.getBoundingClientRect();
    if (box.height && (at.top < box.top || at.bottom > box.bottom)) panel.scrollTop += at.top - box.top - box.height / 3;
  };

  // Narrow screens: the panel opens from the bar's button and closes on a choice, Escape or widening.
  let current = null;
  const setOpen = (open) => {
    sidebar.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open && current) reveal(current);
  };
  toggle.hidden = false;
  toggle.addEventListener("click", () => setOpen(!sidebar.classList.contains("open")));
  panel.addEventListener("click", (event) => { if (event.target.closest("a") && narrow.matches) setOpen(false); });
  narrow.addEventListener("change", () => setOpen(false));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && sidebar.classList.contains("open")) {
      setOpen(false);
      toggle.focus();
    } else if (event.key === "/" && !event.target.closest("input, textarea, [contenteditable]")) {
      event.preventDefault();
      if (narrow.matches) setOpen(true);
      $("search-input").focus();
    }
  });

  // Current chapter: the first one crossing the top 40% of the viewport is highlighted in the contents.
  const tocLinks = new Map([...document.querySelectorAll("#contents li.toc-chapter > a")]
    .map((a) => [a.getAttribute("href").slice(1), a]));
  const chapters = [...document.querySelectorAll("main > .chapter")];
  const order = new Map(chapters.map((chapter, i) => [chapter, i]));
  const inView = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) entry.isIntersecting ? inView.add(entry.target) : inView.delete(entry.target);
    let first = null;
    for (const chapter of inView) if (!first || order.get(chapter) < order.get(first)) first = chapter;
    const link = (first && tocLinks.get(first.id)) || null;
    if (link === current) return;
    if (current) {
      current.removeAttribute("aria-current");
      current.parentElement.classList.remove("current");
    }
    current = link;
    if (current) {
      current.setAttribute("aria-current", "location");
      current.parentElement.classList.add("current");
      reveal(current);
    }
  }, { rootMargin: "0px 0px -60% 0px" });
  chapters.forEach((chapter) => observer.observe(chapter));

  // Notes: a note reference opens the note beside it; the list at the chapter's end stays the fallback.
  const make = (tag, className, text) => {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text) element.textContent = text;
    return element;
  };
  if ("popover" in HTMLElement.prototype) {
    const pop = make("div", "note-popover");
    pop.id = "note-popover";
    pop.popover = "auto";
    pop.tabIndex = -1;
    pop.setAttribute("role", "dialog");
    pop.setAttribute("aria-labelledby", "note-popover-label");
    document.body.append(pop);
    const place = (ref) => {
      const at = ref.getBoundingClientRect(), width = pop.offsetWidth, height = pop.offsetHeight;
      const room = document.documentElement.clientWidth;
      const below = at.bottom + 6 + height <= innerHeight || at.top < height + 6;
      pop.style.left = `${Math.max(8, Math.min(at.left - 16, room - width - 8)) + scrollX}px`;
      pop.style.top = `${(below ? at.bottom + 6 : at.top - height - 6) + scrollY}px`;
    };
    document.addEventListener("click", (event) => {
      const ref = event.target.closest("a.noteref");
      const note = ref && $(ref.getAttribute("href").slice(1));
      if (!note || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      const label = make("p", "popover-label", `Note ${ref.textContent}`);
      label.id = "note-popover-label";
      const body = [...note.children].filter((child) => !child.classList.contains("note-label"))
        .map((child) => child.cloneNode(true));
      for (const part of body) [part, ...part.querySelectorAll("[id]")].forEach((e) => e.removeAttribute("id"));
      const more = make("p", "popover-more"), link = make("a", "", "Show in the chapter’s notes");
      link.href = `#${note.id}`;
      more.append(link);
      if (pop.matches(":popover-open")) pop.hidePopover();
      pop.replaceChildren(label, ...body, more);
      pop.showPopover();
      place(ref);
      pop.focus();
    });
    // A link followed from the note closes it.
    pop.addEventListener("click", (event) => { if (event.target.closest("a")) pop.hidePopover(); });
  }

  // Search: an inverted index (word → numbered sections) embedded as JSON; snippets are cut from the page.
  const box = $("book-search"), input = $("search-input"), status = $("search-status"), list = $("search-results");
  const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const LIMIT = 50, WORD = /[\p{L}\p{N}]+/gu, HEADING = /^H[1-6]$/;
  const fold = (text) => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  const words = (text) => fold(text).match(WORD) || [];
  // One-letter terms match whole words only, longer ones also the start of a word (as you type).
  const fits = (word, term) => (term.length > 1 ? word.startsWith(term) : word === term);
  let index = null;
  const titleWords = new Map();  // section number → the words of its chapter's and its own title
  const load = () => {
    if (index) return index;
    const raw = JSON.parse($("search-index").textContent);
    const anchors = raw.sections.flatMap(([owner, ...parts]) => parts.map((part) => (part ? `${owner}--${part}` : owner)));
    index = { anchors, raw, vocabulary: [...Object.keys(raw.words), ...Object.keys(raw.dense)], cache: new Map() };
    return index;
  };
  const postings = (word) => {
    let numbers = index.cache.get(word);
    if (numbers) return numbers;
    numbers = [];
    if (word in index.raw.dense) {
      const bytes = atob(index.raw.dense[word]);
      for (let i = 0; i < bytes.length; i++) {
        for (let bit = 0; bit < 8; bit++) if (bytes.charCodeAt(i) >> bit & 1) numbers.push(i * 8 + bit);
      }
    } else {
      let at = 0, gap = 0, shift = 0;
      for (const char of index.raw.words[word]) {
        const digit = BASE64.indexOf(char);
        gap |= (digit & 31) << shift;
        shift += 5;
        if (digit < 32) {
          numbers.push(at += gap);
          gap = shift = 0;
        }
      }
    }
    index.cache.set(word, numbers);
    return numbers;
  };
  // Sections holding every term, in reading order.
  const matching = (terms) => {
    let hits = null;
    for (const term of terms) {
      const found = new Set();
      for (const word of index.vocabulary) if (fits(word, term)) postings(word).forEach((n) => found.add(n));
      hits = hits ? hits.filter((n) => found.has(n)) : [...found].sort((a, b) => a - b);
    }
    return hits;
  };
  // Text from `element` up to the next heading with an id, or the notes: what search_units indexed.
  const following = (element) => {
    const parts = [];
    for (; element && !(HEADING.test(element.tagName) && element.id) && !element.matches(".notes");
      element = element.nextElementSibling) parts.push(element.textContent);
    return parts.join(" ");
  };
  const describe = (anchor) => {
    const element = $(anchor), chapter = element.closest(".chapter");
    const title = chapter.querySelector(".chapter-title").textContent;
    if (element === chapter) return { title, section: "", text: () => following(element.querySelector(".chapter-title").nextElementSibling) };
    if (HEADING.test(element.tagName)) return { title, section: element.textContent, text: () => following(element.nextElementSibling) };
    // A note or a bibliography entry, without its number, backlink and cross-references.
    const label = element.querySelector(".note-label");
    return { title, section: label ? `Note ${label.textContent}` : "", text: () => [...element.children]
      .filter((child) => !child.matches(".note-label, .note-sources, .cited-in")).map((child) => child.textContent).join(" ") };
  };
  const snippet = (text, terms) => {
    text = text.replace(/\s+/g, " ").trim();
    const tokens = [...text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)];
    const hit = (token) => words(token[0]).some((word) => terms.some((term) => fits(word, term)));
    const first = tokens.find(hit);
    const from = first ? text.lastIndexOf(" ", Math.max(0, first.index - 60)) + 1 : 0;
    let to = text.indexOf(" ", from + 200);
    if (to < 0) to = text.length;
    const p = make("p", "result-snippet", from > 0 ? "… " : "");
    let at = from;
    for (const token of tokens) {
      if (token.index < from || token.index + token[0].length > to || !hit(token)) continue;
      p.append(text.slice(at, token.index), make("mark", "", token[0]));
      at = token.index + token[0].length;
    }
    p.append(text.slice(at, to) + (to < text.length ? " …" : ""));
    return p;
  };
  const search = (query) => {
    const terms = [...new Set(words(query))];
    list.replaceChildren();
    if (!terms.length) {
      status.textContent = "";
      return;
    }
    load();
    // Sections whose chapter or section title holds a term come first, then the rest in reading order.
    const found = matching(terms).map((n) => {
      const hit = { anchor: index.anchors[n], ...describe(index.anchors[n]) };
      if (!titleWords.has(n)) titleWords.set(n, words(`${hit.title} ${hit.section}`));
      hit.score = terms.filter((term) => titleWords.get(n).some((word) => fits(word, term))).length;
      return hit;
    });
    found.sort((a, b) => b.score - a.score);
    const shown = found.slice(0, LIMIT);
    status.textContent = !found.length ? `Nothing matches “${query.trim()}”.`
      : found.length > LIMIT ? `${found.length} sections match; the first ${LIMIT} are listed.`
        : `${found.length} section${found.length === 1 ? " matches" : "s match"}.`;
    for (const hit of shown) {
      const item = make("li"), link = make("a");
      link.href = `#${hit.anchor}`;
      link.append(make("span", "result-chapter", hit.title));
      if (hit.section && hit.section !== hit.title) link.append(make("span", "result-section", ` › ${hit.section}`));
      item.append(link, snippet(hit.text(), terms));
      list.append(item);
    }
  };
  box.hidden = false;
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value), 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    clearTimeout(timer);
    search(input.value);
    list.querySelector("a")?.focus();
  });
})();
