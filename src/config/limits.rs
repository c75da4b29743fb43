//! The bounds the loader puts on its input, so that no configuration, however
//! large or hostile, can exhaust memory. Shared by reading, evaluation and
//! the built-in functions; this module depends on nothing.

/// Largest file the loader reads (configuration, variables, `file()`): far
/// beyond any real configuration, small enough that a mistaken path (a log,
/// a disk image, `/dev/zero`) fails at once instead of eating memory.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest value (strings and keys, counted in bytes) one expression may
/// produce. Locals can double a string at each step; without a bound, a few
/// dozen lines would exhaust memory.
pub(crate) const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// Most instances one `count` may make: far beyond any Vonage account, and
/// small enough that `count = 1e12` fails at once instead of eating memory.
pub(crate) const MAX_COUNT: u64 = 100_000;
