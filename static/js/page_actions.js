// Print buttons, and a confirmation before grave actions (account, admin and care pages; no
// inline handlers: the CSP forbids them).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll("form button[data-confirm]").forEach(function (button) {
  button.form.addEventListener("submit", function (event) {
    if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });
});
