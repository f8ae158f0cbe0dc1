/* Family Bridge — a live room page over Socket.IO (the /chat protocol: docs/realtime.md).
 *
 * The page works without JavaScript (a form that posts, a link to older messages); this client
 * makes it live. Its parts, one module each:
 *   connection.js  the socket, the outbox of unsent messages, joining and catching up, history
 *   render.js      the message list and the status lines (the only code that touches them)
 *   composer.js    the message box: counter, Enter to send, typing notices
 *   tools.js       edit, delete and flag on a message, and the support dialog
 *   convo.js       replies, support reactions, @mention suggestions (issue 12)
 * Message HTML comes only from the server's sanitized body_html; everything else is textContent.
 */
import { readStrings } from "../common.js";
import { createComposer } from "./composer.js";
import { connect } from "./connection.js";
import { createView } from "./render.js";
import { setupConversation } from "./convo.js";
import { setupTools } from "./tools.js";

const root = document.getElementById("room");
if (root && typeof io !== "undefined") start(root);

function start(root) {
  const room = {
    slug: root.dataset.room,
    me: Number(root.dataset.userId),
    isModerator: root.dataset.moderator === "true",
    maxBody: Number(root.dataset.max) || 2000,
    hasMore: root.dataset.hasMore === "true",
    guidelinesUrl: root.dataset.guidelinesUrl,
    strings: readStrings("rooms-strings")
  };
  // Parts of the page that only make sense when it is live (presence, the counter, Enter to send).
  root.classList.add("is-live");
  root.querySelectorAll(".live-only").forEach(function (el) { el.classList.remove("is-hidden"); });

  const view = createView(root, room);
  let chat = null;
  let convo = null;
  const composer = createComposer(room, {
    post: function (text) { chat.post(text, convo.takeReplyTo()); },
    typing: function () { chat.typing(); }
  });
  room.onBatch = function (messages) {
    if (convo) convo.fetchContext(messages.map(function (m) { return m.id; }));
  };
  chat = connect(room, view, composer);
  chat.announce = view.announce;
  setupTools(room, view, chat);
  convo = setupConversation(root, room, chat);
  view.showStart(chat.unsent());
}
