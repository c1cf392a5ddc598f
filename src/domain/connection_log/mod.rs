//! The connection log: who connected to which workspace, how and when.
