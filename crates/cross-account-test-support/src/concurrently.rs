//! Many readers at once, as tokio tasks on the current runtime.

use std::future::Future;

/// Spawns `task(0)` .. `task(n - 1)` at once and returns their outputs, in the order they
/// finished. A task that panics fails the caller.
pub async fn concurrently<Fut>(n: usize, task: impl Fn(usize) -> Fut) -> Vec<Fut::Output>
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(task(i));
    }
    let mut out = Vec::with_capacity(n);
    while let Some(done) = set.join_next().await {
        out.push(done.expect("a concurrent task panicked"));
    }
    out
}
