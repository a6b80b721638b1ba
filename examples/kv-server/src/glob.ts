/**
 * Redis's glob patterns, as used by KEYS: `*` any run of bytes, `?` one byte, `[abc]`, `[^a]`,
 * `[a-z]` classes, and `\` to take the next character literally. Keys and patterns are latin1
 * strings (one character per byte), so the match is on bytes, as in Redis.
 * @module
 */

function literal(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * A predicate that tells whether a key matches `pattern`.
 *
 * @example
 * ```ts
 * const matches = Glob.compile("user:[0-9]*");
 * matches("user:42"); // true
 * matches("users");   // false
 * ```
 */
export function compile(pattern: string): (key: string) => boolean {
  if (pattern === "*") return () => true;
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") {
      while (pattern[i + 1] === "*") i++;
      source += "[\\s\\S]*";
    } else if (char === "?") {
      source += "[\\s\\S]";
    } else if (char === "\\" && i + 1 < pattern.length) {
      source += literal(pattern[++i]!);
    } else if (char === "[") {
      i++;
      let negate = false;
      if (pattern[i] === "^") {
        negate = true;
        i++;
      }
      let members = "";
      // An unterminated class runs to the end of the pattern, as in Redis's stringmatchlen.
      for (; i < pattern.length && pattern[i] !== "]"; i++) {
        let from = pattern[i]!;
        if (from === "\\" && i + 1 < pattern.length) from = pattern[++i]!;
        if (pattern[i + 1] === "-" && i + 2 < pattern.length && pattern[i + 2] !== "]") {
          let to = pattern[i + 2]!;
          i += 2;
          if (to === "\\" && i + 1 < pattern.length) to = pattern[++i]!;
          const [low, high] = from <= to ? [from, to] : [to, from];
          members += `${literal(low)}-${literal(high)}`;
        } else {
          members += literal(from);
        }
      }
      if (members === "") source += negate ? "[\\s\\S]" : "(?!)";
      else source += `[${negate ? "^" : ""}${members}]`;
    } else {
      source += literal(char);
    }
  }
  const regexp = new RegExp(`^${source}$`, "s");
  return (key) => regexp.test(key);
}
