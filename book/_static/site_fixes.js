// Site fixes loaded on every page (see book/_ext/site_fixes.py).
// Search snippets: Sphinx builds a result's summary from the page's [role=main] text, which on this theme starts
// with a print-only title and table of contents, so every snippet read "...Contents...". Drop print-only blocks.
(function () {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const original = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll("#jb-print-docs-body, .onlyprint").forEach((el) => el.remove());
    return original(doc.documentElement.outerHTML, anchor);
  };
})();
