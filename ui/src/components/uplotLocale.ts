// Imported before uPlot, which builds an Intl.NumberFormat from `navigator.language` as soon as it
// loads: with an invalid tag ("C" under LANG=C) that throws and the whole window stays blank. Show
// it a valid one instead.
import { isLocale, LOCALE } from "../locale";

if (typeof navigator !== "undefined" && !isLocale(navigator.language)) {
  Object.defineProperty(navigator, "language", { value: LOCALE, configurable: true });
}
