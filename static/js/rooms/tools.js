/* The tools on each message: edit and delete one's own, flag someone else's; the support dialog. */
import { textOf } from "../common.js";

export function setupTools(room, view, chat) {
  const S = room.strings;
  const flagDialog = document.getElementById("flag-dialog");
  const editDialog = document.getElementById("edit-dialog");
  let current = null;

  view.list.addEventListener("click", function (event) {
    const button = event.target.closest("button.msg-tool");
    if (!button) return;
    current = { id: Number(button.closest("li.msg").dataset.id), opener: button };
    if (button.dataset.action === "flag") {
      document.getElementById("flag-reason").value = "";
      flagDialog.showModal();
    } else if (button.dataset.action === "delete") {
      if (window.confirm(S.confirm_delete)) {
        chat.request("delete", { message_id: current.id }, function (ack) { if (!ack.ok) view.announce(ack.message); });
      }
    } else if (button.dataset.action === "edit") {
      const li = document.getElementById("m-" + current.id);
      document.getElementById("edit-body").value = li.dataset.source || textOf(li.querySelector(".msg-body").innerHTML);
      document.getElementById("edit-error").textContent = "";
      editDialog.showModal();
    }
  });

  document.getElementById("flag-form").addEventListener("submit", function () {
    const reason = document.getElementById("flag-reason").value;
    const flagged = current;
    chat.request("flag", { message_id: flagged.id, reason: reason }, function (ack) {
      view.announce(ack.ok ? S.flagged : ack.message);
      showFlagResult(flagged, ack.ok ? S.flagged : ack.message, ack.ok);
    });
  });
  // The confirmation is shown on screen too, next to the message (not only announced).
  function showFlagResult(flagged, text, ok) {
    const li = document.getElementById("m-" + flagged.id);
    if (!li) return;
    let note = li.querySelector(".flag-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "flag-note";
      li.append(note);
    }
    note.textContent = text;
    note.classList.toggle("error", !ok);
  }

  document.getElementById("flag-cancel").addEventListener("click", function () { flagDialog.close(); });
  flagDialog.addEventListener("close", function () { if (current) current.opener.focus(); });

  document.getElementById("edit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const body = document.getElementById("edit-body").value;
    chat.request("edit", { message_id: current.id, body: body }, function (ack) {
      if (ack.ok) { document.getElementById("m-" + current.id).dataset.source = body; editDialog.close(); }
      else document.getElementById("edit-error").textContent = ack.message;
    });
  });
  document.getElementById("edit-cancel").addEventListener("click", function () { editDialog.close(); });
  editDialog.addEventListener("close", function () { if (current) current.opener.focus(); });

  document.getElementById("support-close").addEventListener("click", function () {
    document.getElementById("support-dialog").close();
  });
}
