fn main() -> std::process::ExitCode {
    fixed_mmap_threshold();
    socialform::cli::main()
}

/// glibc serves allocations of 128 KB and more from their own mappings,
/// but raises that threshold to the size of any such block freed (up to
/// 32 MB). Loading a large configuration frees many (file buffers, vectors
/// of blocks), after which the large vectors and tables of state, refresh
/// and the planner come from the heap, where freed space is kept and
/// fragmented. A fixed threshold keeps them in mappings that go back to the
/// system when freed: the no-op plan of 10,000 pages peaks at 71 MB instead
/// of 82 MB (benches/RESULTS.md).
fn fixed_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
