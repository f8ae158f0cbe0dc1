/* The message box: a live counter, Enter to send (Shift+Enter for a new line), typing notices. */

export function createComposer(room, actions) {
  const form = document.getElementById("composer");
  const bodyInput = document.getElementById("composer-body");
  const counter = document.getElementById("composer-count");
  const error = document.getElementById("composer-error");

  function updateCounter() {
    counter.textContent = bodyInput.value.length + " / " + room.maxBody;
  }

  function submit(event) {
    event.preventDefault();
    const text = bodyInput.value;
    error.textContent = "";
    if (!text.trim()) { bodyInput.focus(); return; }
    bodyInput.value = "";
    updateCounter();
    actions.post(text);
  }

  form.addEventListener("submit", submit);
  bodyInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  bodyInput.addEventListener("input", function () {
    updateCounter();
    actions.typing();
  });
  updateCounter();

  return {
    showError: function (text) { error.textContent = text; },
    /** Put a refused message back in an empty box, so nothing the person wrote is lost. */
    restore: function (body) {
      if (!bodyInput.value) { bodyInput.value = body; updateCounter(); }
    }
  };
}
