"""The merged structure tree (PDF/UA): one Document element holding every part's elements."""
from __future__ import annotations

from pikepdf import Array, Dictionary, Name, Pdf

from .objects import _copy, _tree, _tree_items


class _StructTree:
    """The merged structure tree: one Document element holding every part's elements."""

    def __init__(self, out: Pdf) -> None:
        self.out = out
        self.document: Dictionary | None = None
        self.namespaces: object = None
        self.pages: dict[tuple[int, int], object] = {}  # page -> its elements by MCID
        self.kids: list[Dictionary] = []  # the Document's, in reading order
        self.annotations: list[tuple[Dictionary, object]] = []  # annotation, its element: keys follow the pages'
        self.seen: set[tuple[int, int]] = set()  # elements of the part whose ancestry is settled

    def add(self, src: Pdf, pages: list[Dictionary], first: bool = False) -> None:
        """Take over the structure of a part whose pages were copied to `pages`; `first`: before the rest."""
        root = src.Root.get("/StructTreeRoot")
        if root is None:
            return
        kids = root.K if isinstance(root.K, Array) else Array([root.K])
        (document,) = [self.out.copy_foreign(kid) for kid in kids]
        if self.document is None:
            self.document = self.out.make_indirect(Dictionary(Type=Name.StructElem, S=document.S))
            if "/NS" in document:
                self.document.NS = document.NS
            if "/Namespaces" in root:
                self.namespaces = _copy(self.out, src, root.Namespaces)
        local = {int(key): value for key, value in _tree_items(self.out.copy_foreign(root.ParentTree), "/Nums")}
        self.seen.clear()
        for page in pages:
            if "/StructParents" in page:
                value = local.get(int(page.StructParents))
                del page["/StructParents"]  # keyed by its index in the book, when every page is in
                if value is not None:
                    self.pages[page.objgen] = self._adopt(value, document)
            for annot in page.get("/Annots") or []:
                if "/StructParent" in annot:
                    value = local.get(int(annot.StructParent))
                    del annot["/StructParent"]
                    if value is not None:
                        self.annotations.append((annot, self._adopt(value, document)))
        kids = list(document.K)
        for kid in kids:
            kid.P = self.document
        self.kids = kids + self.kids if first else self.kids + kids

    def _adopt(self, value: object, old_document: Dictionary) -> object:
        """Return a ParentTree value, what hangs from the part's Document moved to the new one.

        That includes the elements WeasyPrint leaves outside the tree (running
        heads): only the ParentTree leads to them, and through their /P the
        part's own StructTreeRoot would otherwise be written too.
        """
        for element in value if isinstance(value, Array) else [value]:
            while isinstance(element, Dictionary) and element.objgen not in self.seen:
                self.seen.add(element.objgen)
                parent = element.get("/P")
                if parent is None:
                    break
                if parent.objgen == old_document.objgen:
                    element.P = self.document
                    break
                element = parent
        return value

    def finish(self) -> None:
        """Write the StructTreeRoot, if any part was tagged: pages keyed by index, annotations after them."""
        if self.document is None:
            return
        self.document.K = Array(self.kids)
        nums: list[tuple[int, object]] = []
        for key, page in enumerate(page.obj for page in self.out.pages):  # as WeasyPrint numbers them
            if page.objgen in self.pages:
                page.StructParents = key
                nums.append((key, self.pages[page.objgen]))
        key = len(self.out.pages)
        for annot, value in self.annotations:
            annot.StructParent = key
            nums.append((key, value))
            key += 1
        root = self.out.make_indirect(Dictionary(
            Type=Name.StructTreeRoot, K=Array([self.document]),
            ParentTree=_tree(self.out, nums, "/Nums"), ParentTreeNextKey=key))
        if self.namespaces is not None:
            root.Namespaces = self.namespaces
        self.document.P = root
        self.out.Root.StructTreeRoot = root
