// A first look at eio-ts, run by `npm start` (until the KV server example takes over):
// two fibers in one switch take turns, and the switch waits for both.
import * as Eio from "eio-ts";

await Eio.run(function* () {
  yield* Eio.Switch.run((sw) => {
    for (const name of ["ping", "pong"]) {
      Eio.Fiber.fork(sw, function* () {
        for (let round = 1; round <= 3; round++) {
          Eio.traceln("%s %d", name, round);
          yield* Eio.Fiber.yield();
        }
      });
    }
  });
  Eio.traceln("both fibers finished: the switch waited for them");
});
