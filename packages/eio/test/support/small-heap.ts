// Imported first by tests that need a small shared heap: the arena's size is read when the
// runtime loads, and imports are evaluated in order, before the importing module's own code.
process.env["EIO_SHARED_HEAP_MB"] = "16";
