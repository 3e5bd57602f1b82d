import { describe, expect, it } from "vitest";
import { shortPath } from "./paths";

describe("paths", () => {
  it("read relative to the project inside it, in full outside it", () => {
    expect(shortPath("/home/ada/notes/todo.txt", "/home/ada/notes")).toBe("todo.txt");
    expect(shortPath("/home/ada/notes/src/a.rs", "/home/ada/notes/")).toBe("src/a.rs");
    expect(shortPath("/home/ada/notes-old/x", "/home/ada/notes")).toBe("/home/ada/notes-old/x");
    expect(shortPath("/etc/passwd", "/home/ada/notes")).toBe("/etc/passwd");
    expect(shortPath("/home/ada/notes", "/home/ada/notes")).toBe("/home/ada/notes");
    expect(shortPath("C:\\work\\app\\main.ts", "C:\\work\\app")).toBe("main.ts");
  });
});
