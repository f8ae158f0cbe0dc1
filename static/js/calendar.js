// Family-session calendar: copy the feed address, and arrow keys between days of the month grid.
function setupCopy(button) {
  var target = document.getElementById(button.getAttribute("data-copy-target"));
  var status = document.querySelector(".cal-copy-status");
  if (!target || !navigator.clipboard) {
    return; // the address stays visible and selectable; no button without a clipboard
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.value).then(function () {
      if (status) { status.textContent = button.getAttribute("data-copied-text"); }
    }, function () {
      target.select();
    });
  });
}

function setupGrid(table) {
  var links = Array.prototype.slice.call(table.querySelectorAll("td a"));
  table.addEventListener("keydown", function (event) {
    var index = links.indexOf(document.activeElement);
    if (index === -1) { return; }
    var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) { return; }
    var next = links[index + step];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
}

document.querySelectorAll("[data-copy-target]").forEach(setupCopy);
document.querySelectorAll("[data-calendar-grid]").forEach(setupGrid);
