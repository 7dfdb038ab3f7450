// Progressive enhancement only: every page works without this file.
// Buttons with data-confirm ask before submitting (used by irreversible actions).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A form that is sending says so: its button is disabled and reads "正在提交…" (the words come
// translated from <body data-busy-text>) until the next page arrives, so a slow save (an upload,
// a publication signed into the log) is not clicked again and sent twice.  Disabled a moment
// after the submit event, which has already put the button's own name and value in the data.
(function () {
  var busyText = document.body.getAttribute("data-busy-text");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || event.defaultPrevented) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {  // already on its way
      event.preventDefault();
      return;
    }
    var button = event.submitter;
    form.setAttribute("aria-busy", "true");
    setTimeout(function () {
      if (button && form.getAttribute("aria-busy") === "true") {
        button.setAttribute("data-label", button.textContent);
        button.disabled = true;
        if (busyText) { button.textContent = busyText; }
      }
    }, 0);
  });
  // back to the page (the browser's back-forward cache): the form may be sent again
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("[data-label]").forEach(function (button) {
        button.textContent = button.getAttribute("data-label");
        button.removeAttribute("data-label");
        button.disabled = false;
      });
    });
  });
})();

// Countdowns to a deadline: <span data-countdown="ISO time" data-format-days="…%(days)s…%(time)s"
// data-format-day="…" data-format-time="…%(time)s">, e.g. the witnesses' deadline on a draw page.
// The formats come translated from the page ("还剩 2 天 03:04:05" / "2 days 03:04:05 left");
// the deadline itself is printed beside it.
(function () {
  if (!document.querySelector("[data-countdown], [data-poll]")) { return; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    // looked up on every tick: a refreshed part of the page (data-poll) brings new ones
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var left = Math.max(0, Math.floor((Date.parse(node.getAttribute("data-countdown")) - now) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      var format = node.getAttribute(d === 0 ? "data-format-time" : (d === 1 ? "data-format-day" : "data-format-days"));
      node.textContent = (format || "%(time)s").replace("%(days)s", String(d))
        .replace("%(time)s", pad(h) + ":" + pad(m) + ":" + pad(s));
    });
  }
  tick();
  setInterval(tick, 1000);
})();

// The guided request form: the requirement lists offer only the types the catalogue lists for
// the chosen service (each option says which services list it in data-services).  Without this
// file every type is offered and the server says which ones fit, next to the field.
(function () {
  var service = document.querySelector("form.wizard select[name=service_code]");
  if (!service) { return; }
  function filter() {
    var code = service.value;
    document.querySelectorAll("form.wizard select[data-catalogue]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        var services = option.getAttribute("data-services");
        if (services === null || services === "") { return; }  // "none", or an older value
        var fits = services.split(" ").indexOf(code) >= 0;
        option.hidden = !fits;
        option.disabled = !fits;
      });
      var chosen = select.options[select.selectedIndex];
      if (chosen && chosen.disabled) { select.value = ""; }
    });
  }
  service.addEventListener("change", filter);
  filter();
})();

// Phones show a table row as a stack of "heading: value" lines (site.css, .table.stacks); a cell
// cannot read its column's heading from CSS, so it is copied onto the cell here.  Without this
// file the table keeps its columns and scrolls sideways.
(function () {
  document.querySelectorAll("table.table").forEach(function (table) {
    var labels = [];
    table.querySelectorAll("thead tr:first-child th").forEach(function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) { labels.push(th.textContent.trim()); }
    });
    if (!labels.length) { return; }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var span = cell.colSpan || 1;
        if (labels[column] && span < labels.length && cell.textContent.trim()) {
          cell.setAttribute("data-label", labels[column]);
        }
        column += span;
      });
    });
    table.classList.add("stacks");
  });
})();

// A part of the page that refreshes itself: <div data-poll="URL" data-poll-seconds="5"> is
// replaced by what URL answers, every few seconds while the page is visible (the draw on the
// hall's big screen).  A failed fetch keeps what is shown and tries again at the next turn.
(function () {
  document.querySelectorAll("[data-poll]").forEach(function (box) {
    var seconds = Math.max(2, parseInt(box.getAttribute("data-poll-seconds"), 10) || 5);
    function refresh() {
      if (document.hidden) { return; }
      fetch(box.getAttribute("data-poll"), {credentials: "same-origin", cache: "no-store"})
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .catch(function () {});
    }
    setInterval(refresh, seconds * 1000);
  });
})();

// A refused form comes back with each error next to its field; on a phone the first may be
// below the fold (a long form, a quote box down a list).  Its field is brought into view with
// its message and focused, so the error is seen and read out (aria-describedby) at once.  A
// radio group's inputs carry no aria-invalid (its fieldset names the message): the group's
// .field.has-error finds it.  No motion for those who asked for none.  Last in this file: the
// scripts above change the layout (a phone's tables become stacks, far taller).
(function () {
  var field = document.querySelector("[aria-invalid=true], .field.has-error " +
    "input:not([type=hidden]), .field.has-error select, .field.has-error textarea");
  if (!field) { return; }
  var message = document.getElementById((field.getAttribute("aria-describedby") ||
    (field.closest("fieldset") || field).getAttribute("aria-describedby") || "").split(" ")[0]);
  var top = field.getBoundingClientRect().top;
  var bottom = Math.max(field.getBoundingClientRect().bottom,
                        message ? message.getBoundingClientRect().bottom : 0);
  field.focus({preventScroll: true});
  if (top < 0 || bottom > window.innerHeight) {
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    field.scrollIntoView({block: "center", behavior: still ? "auto" : "smooth"});
  }
})();
