//! Faults only the Graph side has: a queue of broken answers that the next
//! Graph API requests receive, one each, in order.

use serde::Deserialize;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GraphFault {
    /// A proxy's HTML error page, status 502.
    Html,
    /// A Graph error with status 500 (code 2, transient).
    ServerError,
    /// Graph's app-level throttling: code 4, status 403.
    Throttle,
    /// The real answer, cut short so it is not JSON.
    MalformedJson,
}

/// Runs of the same fault, oldest first; a run is never empty.
#[derive(Default)]
pub(crate) struct FaultQueue {
    runs: VecDeque<(GraphFault, u64)>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: GraphFault, times: u64) {
        if times > 0 {
            self.runs.push_back((fault, times));
        }
    }

    /// The fault the next request meets, if any; consumes it.
    pub(crate) fn pop(&mut self) -> Option<GraphFault> {
        let (fault, left) = self.runs.front_mut()?;
        let fault = *fault;
        *left -= 1;
        if *left == 0 {
            self.runs.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.runs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_served_in_order_each_as_often_as_asked() {
        let mut queue = FaultQueue::default();
        queue.push(GraphFault::Html, 2);
        queue.push(GraphFault::Throttle, 0);
        queue.push(GraphFault::ServerError, 1);
        assert_eq!(queue.pop(), Some(GraphFault::Html));
        assert_eq!(queue.pop(), Some(GraphFault::Html));
        assert_eq!(queue.pop(), Some(GraphFault::ServerError));
        assert_eq!(queue.pop(), None);
        queue.push(GraphFault::MalformedJson, 3);
        queue.clear();
        assert_eq!(queue.pop(), None);
    }
}
