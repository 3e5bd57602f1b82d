// The viewer's locale, for dates and times. WebKitGTK reports the process locale as it is, and
// under LANG=C that is "C", which Intl rejects with a RangeError: fall back to US English rather
// than failing to show anything.

export function isLocale(tag: string | undefined): tag is string {
  if (!tag) return false;
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}

export const LOCALE: string =
  typeof navigator !== "undefined" && isLocale(navigator.language) ? navigator.language : "en-US";
