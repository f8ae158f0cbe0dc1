// The lesson picker (templates/lessons/_picker.html): a search by title over the grouped
// <select multiple>, and the list of chosen lessons with preview links kept current.
document.querySelectorAll("[data-picker-for]").forEach(function (picker) {
  const select = document.getElementById(picker.getAttribute("data-picker-for"));
  const search = picker.querySelector("input[type=search]");
  const count = picker.querySelector("[role=status]");
  const chosen = picker.querySelector(".picker-chosen");
  if (!select || !search) return;
  picker.querySelector(".picker-search").classList.remove("is-hidden");
  const noneText = (chosen.querySelector(".picker-none") || {}).textContent || "";
  const previewText = chosen.getAttribute("data-preview-label") || "Preview";

  function filter() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    select.querySelectorAll("optgroup").forEach(function (group) {
      let visible = 0;
      group.querySelectorAll("option").forEach(function (option) {
        const text = (option.textContent + " " + group.label).toLowerCase();
        const match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match && !option.selected;
        if (!option.hidden) visible += 1;
      });
      group.hidden = visible === 0;
      shown += visible;
    });
    count.textContent = words.length ? search.getAttribute("data-count").replace("%(num)s", shown) : "";
  }

  function showChosen() {
    chosen.replaceChildren();
    const selected = Array.from(select.selectedOptions);
    if (!selected.length) {
      const li = document.createElement("li");
      li.className = "muted picker-none";
      li.textContent = noneText;
      chosen.appendChild(li);
      return;
    }
    selected.forEach(function (option) {
      const li = document.createElement("li");
      li.appendChild(document.createTextNode(option.textContent + " — "));
      const link = document.createElement("a");
      link.href = option.getAttribute("data-preview");
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = previewText;
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + option.textContent;
      link.appendChild(hidden);
      li.appendChild(link);
      chosen.appendChild(li);
    });
  }

  search.addEventListener("input", filter);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); select.focus(); }
  });
  select.addEventListener("change", showChosen);
});
