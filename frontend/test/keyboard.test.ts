import { describe, expect, it } from "vitest";
import { keyAction } from "../src/common/keyboard";

const key = (k: string, opts: Partial<KeyboardEvent> & { target?: EventTarget | null } = {}) => ({
  key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, target: document.body, ...opts,
});

describe("keyAction", () => {
  it("maps the shortcuts when the widget is active", () => {
    expect(keyAction(key("/"), true)).toBe("focus-search");
    expect(keyAction(key("H", { shiftKey: true }), true)).toBe("toggle-help");
    expect(keyAction(key("Escape"), true)).toBe("escape");
    expect(keyAction(key("ArrowUp"), true)).toBe("up");
    expect(keyAction(key("ArrowDown"), true)).toBe("down");
    expect(keyAction(key("Enter"), true)).toBe("open");
    expect(keyAction(key("h"), true)).toBeNull();
    expect(keyAction(key("x"), true)).toBeNull();
  });
  it("does nothing when the widget has neither focus nor the pointer", () => {
    expect(keyAction(key("/"), false)).toBeNull();
  });
  it("never fires while a text field has focus", () => {
    const input = document.createElement("input");
    input.type = "search";
    const area = document.createElement("textarea");
    const editable = document.createElement("div");
    editable.contentEditable = "true";
    Object.defineProperty(editable, "isContentEditable", { value: true });
    for (const target of [input, area, editable]) {
      expect(keyAction(key("H", { shiftKey: true, target }), true)).toBeNull();
      expect(keyAction(key("/", { target }), true)).toBeNull();
    }
    const checkbox = document.createElement("input");
    checkbox.type = "checkbox";
    expect(keyAction(key("/", { target: checkbox }), true)).toBe("focus-search");
  });
  it("leaves modified keys to the host", () => {
    expect(keyAction(key("/", { ctrlKey: true }), true)).toBeNull();
    expect(keyAction(key("H", { shiftKey: true, metaKey: true }), true)).toBeNull();
  });
});
