// Progressive enhancement only: every page works without this file.
// Buttons with data-confirm ask before submitting (used by irreversible actions).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// Countdowns to a deadline: <span data-countdown="ISO time">, e.g. the witnesses' deadline on
// a draw page.  Shows "2d 03:04:05" (language-neutral); the deadline itself is printed beside it.
(function () {
  var nodes = document.querySelectorAll("[data-countdown]");
  if (!nodes.length) { return; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    nodes.forEach(function (node) {
      var left = Math.max(0, Math.floor((Date.parse(node.getAttribute("data-countdown")) - now) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      node.textContent = (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
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
