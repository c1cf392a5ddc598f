//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// A duration in milliseconds, as a JSON number. GraphQL's `Int` is 32-bit and cannot hold
/// 30 days of milliseconds, so durations get a scalar of their own (up to 2^53).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milliseconds(pub i64);

/// Largest value JSON numbers carry exactly.
const MAX_SAFE: i64 = (1 << 53) - 1;

#[Scalar(name = "Milliseconds")]
impl ScalarType for Milliseconds {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => match n.as_i64() {
                Some(ms) if (0..=MAX_SAFE).contains(&ms) => Ok(Milliseconds(ms)),
                _ => Err(InputValueError::custom(
                    "milliseconds must be a whole number from 0 to 2^53-1",
                )),
            },
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// A count or limit that may exceed 32 bits, as a JSON number (up to 2^53).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int64(pub i64);

/// A count or limit that may exceed 32 bits, as a JSON number (up to 2^53).
#[Scalar(name = "Int64")]
impl ScalarType for Int64 {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => match n.as_i64() {
                Some(v) if (-MAX_SAFE..=MAX_SAFE).contains(&v) => Ok(Int64(v)),
                _ => Err(InputValueError::custom(
                    "a whole number between -(2^53-1) and 2^53-1",
                )),
            },
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}
