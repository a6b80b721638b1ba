/** The error `op` throws, as "Name: message" (or "no error"): what file and path tests compare. */
export function* errorOf(op: Generator<any, unknown, any>): Generator<any, string, any> {
  try {
    yield* op;
    return "no error";
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}
