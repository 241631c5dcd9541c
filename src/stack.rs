//! A stack of its own for work that recurses once per level of a policy's
//! nesting (parsing, checking): bounded by the nesting limits, but in a
//! debug build each level of the parser costs about 14 KiB, more than a
//! 2 MiB worker or test thread holds at the limit.

/// Enough for the nesting limits in a debug build, with room to spare;
/// only the pages used are ever committed.
const STACK: usize = 64 << 20;

/// Run `f` on a thread with a large stack, and return what it returns; on
/// this thread if no thread can be had. A panic in `f` is passed on.
pub fn on_large_stack<T: Send>(f: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("anskaff-policy".into())
            .stack_size(STACK)
            .spawn_scoped(scope, &f);
        match spawned.map(|handle| handle.join()) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => f(),
        }
    })
}
