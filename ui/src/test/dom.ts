// Rendering and driving components the way a person would: clicks, typing, choosing options.
import { render, type ComponentChild } from "preact";
import { act } from "preact/test-utils";
import { vi } from "vitest";

const roots: HTMLElement[] = [];

export function mount(vnode: ComponentChild): HTMLElement {
  const root = document.createElement("div");
  document.body.append(root);
  roots.push(root);
  act(() => render(vnode, root));
  return root;
}

export function unmountAll(): void {
  for (const root of roots.splice(0)) {
    act(() => render(null, root));
    root.remove();
  }
}

export function $(selector: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(selector);
}

export function $$(selector: string): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(selector)];
}

/** Waits for the element to appear (answers from the fake backend arrive asynchronously). */
export function find(selector: string): Promise<HTMLElement> {
  return vi.waitFor(() => {
    const el = $(selector);
    if (!el) throw new Error(`${selector} is not on the page`);
    return el;
  });
}

/** Waits until the element's text contains `text`; returns the whole text. */
export function findText(selector: string, text: string): Promise<string> {
  return vi.waitFor(() => {
    const content = $(selector)?.textContent ?? "";
    if (!content.includes(text)) throw new Error(`${selector} says ${JSON.stringify(content)}, not ${JSON.stringify(text)}`);
    return content;
  });
}

/** Waits until an input holds `value`. */
export function findValue(selector: string, value: string): Promise<void> {
  return vi.waitFor(() => {
    const now = ($(selector) as HTMLInputElement | null)?.value;
    if (now !== value) throw new Error(`${selector} holds ${JSON.stringify(now)}, not ${JSON.stringify(value)}`);
  });
}

/** Clicks once the element is there and enabled, as a person would wait for it. */
export async function click(selector: string): Promise<void> {
  const el = await vi.waitFor(() => {
    const found = $(selector);
    if (!found) throw new Error(`${selector} is not on the page`);
    if ((found as HTMLButtonElement).disabled) throw new Error(`${selector} is disabled`);
    return found;
  });
  act(() => el.click());
}

export async function type(selector: string, value: string): Promise<void> {
  const el = (await find(selector)) as HTMLInputElement;
  act(() => {
    el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

export async function choose(selector: string, value: string): Promise<void> {
  const el = (await find(selector)) as HTMLSelectElement;
  act(() => {
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

export function press(el: Element, key: string): void {
  act(() => {
    el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  });
}
