import { describe, expect, it } from "vitest";
import { bucketLabel, errorMessage, formatCount, formatLatency, formatTime, formatTokens, statusClass } from "./format";

describe("formatting", () => {
  it("groups thousands", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
  });

  it("shows latency in ms under a second and seconds above", () => {
    expect(formatLatency(340)).toBe("340 ms");
    expect(formatLatency(1234)).toBe("1.2 s");
    expect(formatLatency(15_400)).toBe("15 s");
    expect(formatLatency(null)).toBe("–");
  });

  it("marks estimated token counts", () => {
    expect(formatTokens(1200, "estimated")).toBe("1,200 est.");
    expect(formatTokens(1200, "reported")).toBe("1,200");
  });

  it("shows only the time for today's requests and adds the date for older ones", () => {
    const now = new Date(2024, 2, 4, 15, 0, 0);
    const today = new Date(2024, 2, 4, 14, 3, 12).toISOString();
    const older = new Date(2024, 2, 1, 9, 0, 0).toISOString();
    expect(formatTime(today, now)).not.toMatch(/Mar/);
    expect(formatTime(today, now)).toMatch(/03/);
    expect(formatTime(older, now)).toMatch(/Mar/);
    expect(formatTime("not a date", now)).toBe("not a date");
  });

  it("names bucket sizes in words", () => {
    expect(bucketLabel(60)).toBe("per minute");
    expect(bucketLabel(900)).toBe("per 15 minutes");
    expect(bucketLabel(7200)).toBe("per 2 hours");
    expect(bucketLabel(43_200)).toBe("per 12 hours");
    expect(bucketLabel(86_400)).toBe("per day");
  });

  it("classes statuses the way the dashboard counts them", () => {
    expect([200, 204, 400, 401, 402, 429, 500, 502, 0].map(statusClass)).toEqual([
      "2xx",
      "2xx",
      "4xx",
      "4xx",
      "402",
      "429",
      "5xx",
      "5xx",
      "5xx",
    ]);
  });
});

describe("errors", () => {
  it("shows the backend's message as it is", () => {
    expect(errorMessage({ code: "invalid", message: "Port must be between 1 and 65535." })).toBe(
      "Port must be between 1 and 65535.",
    );
  });

  it("still says something for errors that aren't CommandErrors", () => {
    expect(errorMessage("command not found")).toBe("command not found");
    expect(errorMessage(undefined)).toBe("Something went wrong: undefined");
    expect(errorMessage(new Error("no IPC"))).toBe("no IPC");
  });
});
