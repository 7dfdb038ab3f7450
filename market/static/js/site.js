// Progressive enhancement only: every page works without this file.
// Buttons with data-confirm ask before submitting (used by irreversible actions).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
