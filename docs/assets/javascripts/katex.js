// Typeset the math that pymdownx.arithmatex leaves in the page, with the KaTeX copy
// shipped in docs/assets/katex (no network). Material's instant navigation swaps page
// bodies without a reload, so render on every page it shows.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
  });
});
