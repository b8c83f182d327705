// Poll the submission's progress until it is finished, then reload for the counts.
(function () {
  const box = document.getElementById("progress");
  if (!box) return;
  const bar = document.getElementById("progress-bar");
  const status = document.getElementById("progress-status");
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.style.width = data.percent + "%";
        bar.textContent = data.percent + "%";
        status.textContent = data.status_display + " (" + data.lines_read + " lines)";
        if (data.finished) { window.location.reload(); return; }
      }
    } catch (e) { /* network hiccup: try again */ }
    setTimeout(poll, 1000);
  }
  poll();
})();
