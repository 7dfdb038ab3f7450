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
