// Lessons: live sanitized preview for authors, and in-page feedback for knowledge checks.
// Both enhance forms that already work without JavaScript.
import { csrfHeaders, postJSON } from "./common.js";

function setupPreview() {
  var target = document.getElementById("lesson-preview");
  if (!target) { return; }
  var source = document.getElementById(target.dataset.previewSource);
  var url = target.dataset.previewUrl;
  if (!source || !url) { return; }
  var timer = null;
  var latest = 0;
  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var ticket = ++latest;
      postJSON(url, { body: source.value }).then(function (data) {
        if (ticket !== latest) { return; }
        if (data.ok) {
          // The server returns HTML that portal/sanitize.py has already cleaned.
          target.innerHTML = data.html;
        } else {
          target.textContent = data.message || "";
        }
      }).catch(function () { /* keep the last preview */ });
    }, 400);
  });
}

function setupQuestions() {
  var forms = document.querySelectorAll("form[data-question]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      var chosen = form.querySelector('input[name="choice"]:checked');
      if (!chosen) { return; }
      event.preventDefault();
      var data = new FormData(form);
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: csrfHeaders(),
        body: data
      }).then(function (response) { return response.json(); }).then(function (result) {
        var slot = form.querySelector(".feedback-slot");
        if (!slot) { return; }
        if (result.ok) {
          slot.innerHTML = result.html;  // rendered by our own template, escaped server-side
        } else {
          slot.textContent = result.message || "";
        }
      }).catch(function () { form.submit(); });
    });
  });
}

// A module runs once the document is parsed, like a deferred script.
setupPreview();
setupQuestions();
