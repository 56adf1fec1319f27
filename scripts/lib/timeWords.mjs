// Times as an operator reads them: "3 min ago", "in 2 min", and UTC timestamps that sort.

/** How long ago `ms` was, from `now`: "just now", "40 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function timeAgo(ms, now = Date.now()) {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 0) return `in ${span(-seconds)}`;
  if (seconds < 5) return "just now";
  return `${span(seconds)} ago`;
}

/** How far `ms` is from `now` either way: "in 2 min", "3 min ago", "now". */
export function timeFromNow(ms, now = Date.now()) {
  const seconds = Math.round((ms - now) / 1000);
  if (Math.abs(seconds) < 5) return "now";
  return seconds > 0 ? `in ${span(seconds)}` : `${span(-seconds)} ago`;
}

function span(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** "2026-05-01 10:31:02 UTC": unix milliseconds as UTC, to the second. */
export function utcTime(ms) {
  if (ms === null || ms === undefined) return "-";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
