/* Trials ticked on any leaderboard, kept for the browser tab so a selection can span studies and
   survive the leaderboard's live refresh; "Compare selected" opens /trials/compare/?ids=... */
"use strict";

(function () {
  const KEY = "hpoweb.picked-trials";

  function picked() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function save(ids) { sessionStorage.setItem(KEY, JSON.stringify(ids)); }

  function show() {
    const ids = picked();
    document.querySelectorAll("input.pick-trial").forEach((box) => { box.checked = ids.includes(box.value); });
    document.querySelectorAll("[data-picked-count]").forEach((el) => { el.textContent = ids.length ? `(${ids.length})` : ""; });
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.classList || !box.classList.contains("pick-trial")) return;
    const ids = picked().filter((id) => id !== box.value);
    if (box.checked) ids.push(box.value);
    save(ids);
    show();
  });

  document.addEventListener("click", (event) => {
    if (!event.target.matches("[data-picks-clear]")) return;
    save([]);
    show();
  });

  document.addEventListener("submit", (event) => {
    if (event.target.id !== "trial-picks") return;
    event.preventDefault();
    const ids = picked();
    if (ids.length) window.location.href = `${event.target.action}?ids=${ids.join(",")}`;
  });

  document.addEventListener("DOMContentLoaded", show);
  document.addEventListener("htmx:afterSwap", show);
})();
