//! Elementwise binary operations of GPU-resident tensors (`shaders/elementwise.wgsl`): the
//! arithmetic, `maximum`/`minimum` and comparisons that the autograd ops and optimisers apply to
//! device arrays, with numpy's results (comparisons give 1 or 0 in the operands' dtype).

use crate::error::{value_error, Result};
use crate::gpu::context::Shader;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const ELEMENTWISE: Shader = Shader {
    name: "elementwise",
    source: include_str!("shaders/elementwise.wgsl"),
};

/// A binary operation, with the shader's op code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`.
    Add = 0,
    /// `a - b`.
    Sub = 1,
    /// `a * b`.
    Mul = 2,
    /// `a / b`.
    Div = 3,
    /// `maximum(a, b)` (NaN propagates).
    Maximum = 4,
    /// `minimum(a, b)` (NaN propagates).
    Minimum = 5,
    /// `a > b` as 1 or 0.
    Greater = 6,
    /// `a >= b`.
    GreaterEqual = 7,
    /// `a < b`.
    Less = 8,
    /// `a <= b`.
    LessEqual = 9,
    /// `a == b`.
    Equal = 10,
    /// `a != b`.
    NotEqual = 11,
    /// `b` (broadcast when a scalar): assignment.
    Assign = 12,
}

impl BinaryOp {
    /// The operation of a numpy ufunc or operator name (`add`, `maximum`, `greater`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        use BinaryOp::*;
        Some(match name {
            "add" => Add,
            "subtract" => Sub,
            "multiply" => Mul,
            "divide" | "true_divide" => Div,
            "maximum" => Maximum,
            "minimum" => Minimum,
            "greater" => Greater,
            "greater_equal" => GreaterEqual,
            "less" => Less,
            "less_equal" => LessEqual,
            "equal" => Equal,
            "not_equal" => NotEqual,
            "assign" => Assign,
            _ => return None,
        })
    }
}

/// `elementwise.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniform {
    len: u32,
    op: u32,
    b_scalar: u32,
    swap: u32,
    groups_x: u32,
    pad: [u32; 3],
}

/// `a op b` (or `b op a` with `swap`), where `b` has the length of `a` or one element (broadcast);
/// a new array of `a`'s dtype.
pub fn binary(op: BinaryOp, a: &DeviceArray, b: &DeviceArray, swap: bool) -> Result<DeviceArray> {
    let dtype = a.dtype();
    if dtype == Dtype::I32 {
        return Err(crate::error::Error::Type(
            "elementwise arithmetic on the GPU takes float32 or float64 tensors; got int".into(),
        ));
    }
    b.expect_dtype(dtype, "the second operand")?;
    if b.len() != a.len() && b.len() != 1 {
        return value_error!(
            "GPU tensors of {} and {} elements do not broadcast (only equal shapes or a \
             one-element operand)",
            a.len(),
            b.len()
        );
    }
    let gpu = gpu_for_dtype(dtype)?;
    let out = DeviceArray::output(gpu, a.len(), dtype)?;
    if a.is_empty() {
        return Ok(out);
    }
    let grid = gpu.flat_grid(a.len(), 256);
    let u = Uniform {
        len: a.len() as u32,
        op: op as u32,
        b_scalar: (b.len() == 1 && a.len() != 1) as u32,
        swap: swap as u32,
        groups_x: grid[0],
        pad: [0; 3],
    };
    let pipeline = gpu.pipeline(ELEMENTWISE, "main", wgsl(dtype), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, a.buffer(), b.buffer(), out.buffer()],
        grid,
    )?;
    Ok(out)
}

/// The WGSL element type of a float dtype.
pub(crate) fn wgsl(dtype: Dtype) -> &'static str {
    if dtype == Dtype::F64 {
        "f64"
    } else {
        "f32"
    }
}
