//! The choice of screen: what a caller asks for (`Kernel`) and what runs on this CPU (`Engine`).

use crate::error::{CoreError, CoreResult};
use crate::kernel_int8::{self, MAX_DIM};

/// `Kernel::Auto` screens in int8 from this dimension on (below it the quantisation error is large
/// relative to the work saved).
const AUTO_INT8_MIN_DIM: usize = 16;

/// Which screen a search uses (the results are the same for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Int8 with AVX-512 VNNI where the CPU has it, else float32.
    Auto,
    /// Float32 GEMM screen.
    Exact,
    /// Int8 screen (the portable kernel where the CPU lacks AVX-512 VNNI).
    Screened,
    /// Int8 screen with the portable kernel (tests compare it with the VNNI one).
    ScreenedPortable,
}

/// The screen a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    F32,
    Int8Portable,
    Int8Vnni,
}

impl Kernel {
    pub fn parse(name: &str) -> CoreResult<Kernel> {
        match name {
            "auto" => Ok(Kernel::Auto),
            "exact" => Ok(Kernel::Exact),
            "screened" => Ok(Kernel::Screened),
            other => Err(CoreError::Value(format!(
                "kernel: expected one of 'auto', 'exact', 'screened', got {other:?}"
            ))),
        }
    }

    /// The engine for dimension `d` on this CPU. Int8 needs `d <= MAX_DIM` (i32 accumulators).
    pub fn engine(self, d: usize) -> Engine {
        let vnni = kernel_int8::vnni_available();
        match self {
            _ if d > MAX_DIM => Engine::F32,
            Kernel::Exact => Engine::F32,
            Kernel::Auto if vnni && d >= AUTO_INT8_MIN_DIM => Engine::Int8Vnni,
            Kernel::Auto => Engine::F32,
            Kernel::Screened if vnni => Engine::Int8Vnni,
            Kernel::Screened | Kernel::ScreenedPortable => Engine::Int8Portable,
        }
    }
}
