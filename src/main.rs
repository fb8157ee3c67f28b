fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    aiwebengine::cli::main()
}

/// glibc's malloc gives threads that allocate at the same time arenas of
/// their own, up to 8 per core, and memory freed in one arena is reused
/// only by it. With the engine's mix of threads (tokio workers, JS
/// workers, blocking threads that come and go) the default let the soak's
/// RSS climb 80 → 92 MB (+15.5 %) in 10 minutes; one arena per core kept
/// it at 60 → 64 MB (+6.6 %). See docs/reliability.md (soak). An explicit
/// `MALLOC_ARENA_MAX` in the environment wins (glibc reads it itself).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // SAFETY: mallopt only sets a malloc parameter; it is called before
        // any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores.max(2) as libc::c_int);
        }
    }
}
