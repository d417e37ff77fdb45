// Copy buttons for secrets shown once. Without this script the buttons stay hidden and the
// secret is plain selectable text.
(() => {
  const flash = (button, text) => {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = text;
    window.setTimeout(() => { button.textContent = label; }, 2000);
  };

  const selectText = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  };

  const copy = async (button) => {
    const source = document.getElementById(button.dataset.copyTarget);
    if (!source) return;
    const text = source.textContent.trim();
    try {
      await navigator.clipboard.writeText(text);
      flash(button, "Copied");
    } catch {
      // No clipboard access (an insecure origin, a denied permission): select the text so
      // that the keyboard's copy takes it.
      selectText(source);
      flash(button, "Selected: press Ctrl+C");
    }
  };

  const init = () => {
    document.querySelectorAll("[data-copy-target]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => copy(button));
    });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
