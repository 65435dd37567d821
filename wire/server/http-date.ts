// IMF-fixdate (RFC 9110 §5.6.7), `Sun, 06 Nov 1994 08:49:37 GMT`, formatted from whole epoch seconds
// with integer arithmetic: the same text as `new Date(ms).toUTCString()` for every date from
// year 1000 to 9999, without a Date object and without V8's printf-based date formatter (which
// took ~3 % of the server's samples under wrk, issue 10). Last-Modified is on every GET.

const dayNames = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'] as const; // 1970-01-01 was a Thursday
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
/** "00".."59": two digits without padStart. */
const twoDigits: readonly string[] = Array.from({ length: 60 }, (_, index) => (index < 10 ? `0${index}` : String(index)));
const secondsPerDay = 86_400;
/** 1000-01-01 and 10000-01-01: outside, V8 pads or signs the year, so Date formats it. */
const fourDigitYearsFirstSec = -30_610_224_000;
const fourDigitYearsEndSec = 253_402_300_800;

/** The IMF-fixdate of an epoch second (a whole number). */
export function formatHttpDate(epochSeconds: number): string {
  if (!(epochSeconds >= fourDigitYearsFirstSec && epochSeconds < fourDigitYearsEndSec)) return new Date(epochSeconds * 1000).toUTCString();
  const days = Math.floor(epochSeconds / secondsPerDay);
  const secondOfDay = epochSeconds - days * secondsPerDay;
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay - hour * 3600) / 60);
  const second = secondOfDay - hour * 3600 - minute * 60;
  // Howard Hinnant's civil_from_days: days since 1970-01-01 to (year, month, day), proleptic Gregorian.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const weekday = dayNames[((days % 7) + 7) % 7]!;
  return `${weekday}, ${twoDigits[day]!} ${monthNames[month - 1]!} ${year} ${twoDigits[hour]!}:${twoDigits[minute]!}:${twoDigits[second]!} GMT`;
}

/** The IMF-fixdate of an epoch millisecond time (Last-Modified shows whole seconds, rounded down). */
export function formatHttpDateMs(epochMs: number): string {
  return formatHttpDate(Math.floor(epochMs / 1000));
}
