// Keyboard shortcuts of a widget: active only while the widget has focus or the pointer is
// over it, never while a text field has focus (typing "H" in the search box types an H).
// The root carries data-lm-suppress-shortcuts so JupyterLab's command-mode keys stay quiet.

import { isEditable } from "./dom";

export type KeyAction = "focus-search" | "toggle-help" | "escape" | "up" | "down" | "open";

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** The action a key press asks for, or null when the widget must leave it alone. */
export function keyAction(e: KeyLike, active: boolean): KeyAction | null {
  if (!active || isEditable(e.target)) return null;
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case "/":
      return "focus-search";
    case "H":
      return e.shiftKey ? "toggle-help" : null;
    case "Escape":
      return "escape";
    case "ArrowUp":
      return "up";
    case "ArrowDown":
      return "down";
    case "Enter":
      return "open";
    default:
      return null;
  }
}

export const SHORTCUTS: [string, string][] = [
  ["/", "Focus the search box"],
  ["Shift+H", "Show or hide this help"],
  ["Esc", "Close this help, or clear the selection"],
  ["↑ / ↓", "Move the selection"],
  ["Enter", "Open the selected rollout"],
];

/**
 * Route key presses to `handle` while the widget is active. Listens on the window in the
 * capture phase so that the widget sees its keys before a host's global shortcuts do.
 * Returns a function that removes the listeners.
 */
export function bindShortcuts(root: HTMLElement, handle: (a: KeyAction) => void): () => void {
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  if (!root.hasAttribute("tabindex")) root.tabIndex = 0;
  let hovered = false;
  const enter = () => (hovered = true);
  const leave = () => (hovered = false);
  const onKey = (e: KeyboardEvent) => {
    if (!root.isConnected) return;
    const focused = root.contains(document.activeElement);
    const action = keyAction(e, focused || hovered);
    if (action === null) return;
    e.preventDefault();
    e.stopPropagation();
    handle(action);
  };
  root.addEventListener("pointerenter", enter);
  root.addEventListener("pointerleave", leave);
  window.addEventListener("keydown", onKey, true);
  return () => {
    root.removeEventListener("pointerenter", enter);
    root.removeEventListener("pointerleave", leave);
    window.removeEventListener("keydown", onKey, true);
  };
}
