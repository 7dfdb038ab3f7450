"""What the layout tests measure on a page: elements wider than the screen, text too small, and
on a phone a header that leaves room for the page."""

from __future__ import annotations

MEASURE = """() => {
  const found = [];
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const name = el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().replace(/\\s+/g, ".") : "")
    + " «" + el.textContent.trim().replace(/\\s+/g, " ").slice(0, 30) + "»";
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("main *")].filter(el => visible(el)
      && (el.getBoundingClientRect().right > window.innerWidth + 1
          || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible")).slice(-1)[0];
    found.push(`runs off the side: page ${document.documentElement.scrollWidth}px wide, e.g. ${wide ? name(wide) : "?"}`);
  }
  // One character per line: a cell, button or label whose text wraps after every character.
  for (const el of document.querySelectorAll("main th, main td, main button, main .badge, main .clock, main .tag, main dt, main dd, header a, header button, header summary")) {
    if (!visible(el)) continue;
    const chars = el.textContent.replace(/\\s+/g, "").length;
    if (chars < 2) continue;
    const rects = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) rects.push(r);
    }
    rects.sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;  // a line starts below the previous one's bottom
    for (const r of rects) { if (r.top >= bottom - 1) lines += 1; bottom = Math.max(bottom, r.bottom); }
    if (lines >= 2 && chars / lines <= 1.5) found.push(`one character per line: ${name(el)}`);
  }
  // A table shown as stacks (its headings hidden) must label each value with its heading.
  for (const table of document.querySelectorAll("main table")) {
    const thead = table.querySelector("thead");
    if (!visible(table) || !thead || visible(thead)) continue;
    const headings = [];
    for (const th of thead.rows[0].cells) for (let i = 0; i < th.colSpan; i++) headings.push(th.textContent.trim());
    rows: for (const row of table.tBodies[0] ? table.tBodies[0].rows : []) {
      let column = 0;
      for (const cell of row.cells) {
        const label = getComputedStyle(cell, "::before").content;
        // a column with a heading keeps it; a message spanning the row needs none
        if (headings[column] && cell.colSpan < headings.length && visible(cell) && cell.textContent.trim()
            && (label === "none" || label === '""' || label === "normal")) {
          found.push(`stacked table cell without its heading «${headings[column]}»: ${name(cell)}`);
          break rows;  // one example per table
        }
        column += cell.colSpan;
      }
    }
  }
  // Text cut off by a box that hides what overflows it (form controls scroll their own text).
  for (const el of document.querySelectorAll("main *:not(select, input, textarea, option)")) {
    const style = getComputedStyle(el);
    if ((style.overflowX === "hidden" || style.overflowX === "clip") && visible(el)
        && el.scrollWidth > el.clientWidth + 1) found.push(`clipped: ${name(el)}`);
  }
  return found;
}"""

# The site header on a phone: at most ``max`` px high, and its switches (care mode, the menu,
# the language) shown without opening the menu.  "Shown" as Playwright's is_visible() has it
# (the first match; a box of some size, not hidden by CSS), asked here in the page itself: one
# round trip instead of four per page.
HEADER = """(max) => {
  const found = [];
  const shown = el => {
    const style = getComputedStyle(el);
    if (style.display === "contents") {
      return [...el.childNodes].some(child => child.nodeType === Node.ELEMENT_NODE ? shown(child)
        : child.nodeType === Node.TEXT_NODE && (() => {
          const range = document.createRange();
          range.selectNode(child);
          const box = range.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        })());
    }
    if (!el.checkVisibility() || style.visibility !== "visible") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const height = document.querySelector("header").getBoundingClientRect().height;
  if (height > max) found.push(`header ${height.toFixed(0)}px high (at most ${max})`);
  for (const control of ["[data-test=care-toggle]", "[data-test=menu-toggle]",
                         "[data-test=lang-en], [data-test=lang-zh]"]) {
    const el = document.querySelector(control);
    if (!el || !shown(el)) found.push(`${control} not visible without opening the menu`);
  }
  return found;
}"""

# Both in one evaluate(): ``headerMax`` null for a page without the site header.
CHECK = f"""(headerMax) => [...(headerMax === null ? [] : ({HEADER})(headerMax)),
                        ...({MEASURE})()]"""
