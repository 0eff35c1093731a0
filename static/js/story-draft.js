// Drafts save as you go. The story form (form[data-story-draft]) is posted to its autosave
// address a couple of seconds after typing stops, and when the page is hidden (another tab,
// the phone locked, the window closed). "Draft saved at 14:32" is said in a polite live region.
// Without JavaScript the "Save draft" button does the same job.

const QUIET_MS = 2000;

function timeText(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  return moment.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

function setUp(form) {
  const url = form.dataset.autosaveUrl;
  const status = form.querySelector("[data-draft-status]");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!url || !token) return;

  let timer = null;
  let changes = 0; // edits since the page loaded
  let saved = 0; // edits covered by the last successful save
  let saving = null;

  const say = (text) => {
    if (status) status.textContent = text;
  };

  async function save({ leaving = false } = {}) {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (changes === saved) return;
    if (saving && !leaving) {
      await saving.catch(() => {});
      if (changes === saved) return;
    }
    const covering = changes;
    const body = new FormData(form);
    body.delete("action");
    const request = fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value, Accept: "application/json" },
      // A page being hidden may be closed next: let the request outlive it (if small enough).
      keepalive: leaving && JSON.stringify([...body.values()]).length < 60000,
    });
    saving = request;
    try {
      const response = await request;
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        saved = Math.max(saved, covering);
        const at = data.saved_at_text || timeText(data.saved_at);
        say(`Draft saved at ${at}`);
      } else if (data.errors) {
        say(`Your draft could not be saved: ${Object.values(data.errors).flat().join(" ")}`);
      } else {
        say(data.error || "Your draft could not be saved just now. Use the Save draft button.");
      }
    } catch {
      say("Your draft could not be saved just now. Check your connection, then use Save draft.");
    } finally {
      if (saving === request) saving = null;
    }
  }

  const changed = (event) => {
    if (event.target && event.target.name === "find") return; // a search, not the story
    changes += 1;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => save(), QUIET_MS);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save({ leaving: true });
  });

  // A button press posts the form itself: no autosave racing it.
  form.addEventListener("submit", () => {
    if (timer) clearTimeout(timer);
    timer = null;
    saved = changes;
  });
}

document.querySelectorAll("form[data-story-draft]").forEach(setUp);
