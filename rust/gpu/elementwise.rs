//! Elementwise operations of GPU-resident tensors: binary ones (`shaders/elementwise.wgsl`: the
//! arithmetic, `maximum`/`minimum` and comparisons that the autograd ops apply to device arrays,
//! with numpy's broadcasting of one operand over a block of the other's axes and numpy's results,
//! comparisons giving 1 or 0 in the operands' dtype; int32 tensors too, but for true division),
//! functions of one (`shaders/unary.wgsl`) and the conversions of int32 to floats and back
//! (`shaders/int_to_float.wgsl`, `shaders/float_to_int.wgsl`).

use crate::error::{value_error, Result};
use crate::gpu::context::Shader;
use crate::gpu::resident::{gpu_for_dtype, DeviceArray, Dtype};
use bytemuck::{Pod, Zeroable};

const ELEMENTWISE: Shader = Shader {
    name: "elementwise",
    source: include_str!("shaders/elementwise.wgsl"),
};
const DROPOUT_MASK: Shader = Shader {
    name: "dropout_mask",
    source: include_str!("shaders/dropout_mask.wgsl"),
};
const SELECT: Shader = Shader {
    name: "select",
    source: include_str!("shaders/select.wgsl"),
};
const INT_TO_FLOAT: Shader = Shader {
    name: "int_to_float",
    source: include_str!("shaders/int_to_float.wgsl"),
};
const FLOAT_TO_INT: Shader = Shader {
    name: "float_to_int",
    source: include_str!("shaders/float_to_int.wgsl"),
};
const UNARY: Shader = Shader {
    name: "unary",
    source: include_str!("shaders/unary.wgsl"),
};

/// A function of one operand, with the shader's op code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `sqrt(a)`.
    Sqrt = 0,
    /// `exp(a)` (float32 only).
    Exp = 1,
    /// `log(a)` (float32 only).
    Log = 2,
    /// `tanh(a)` (float32 only).
    Tanh = 3,
    /// `abs(a)`.
    Abs = 4,
    /// `sign(a)`: -1, 0 or 1 (NaN for NaN).
    Sign = 5,
    /// `floor(a)`.
    Floor = 6,
    /// `ceil(a)`.
    Ceil = 7,
    /// `trunc(a)`: toward zero.
    Trunc = 8,
    /// `rint(a)`: to the nearest integer, halves to even.
    Rint = 9,
}

impl UnaryOp {
    /// The function of a numpy ufunc name (`sqrt`, `exp`, `log`, `tanh`, `absolute`, `sign`,
    /// `floor`, `ceil`, `trunc`, `rint`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sqrt" => UnaryOp::Sqrt,
            "exp" => UnaryOp::Exp,
            "log" => UnaryOp::Log,
            "tanh" => UnaryOp::Tanh,
            "absolute" | "abs" => UnaryOp::Abs,
            "sign" => UnaryOp::Sign,
            "floor" => UnaryOp::Floor,
            "ceil" => UnaryOp::Ceil,
            "trunc" => UnaryOp::Trunc,
            "rint" => UnaryOp::Rint,
            _ => return None,
        })
    }
}

/// `unary.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct UnaryUniform {
    len: u32,
    op: u32,
    groups_x: u32,
    pad: u32,
}

/// `op(a)` elementwise: a new array of `a`'s dtype.
pub fn unary(op: UnaryOp, a: &DeviceArray) -> Result<DeviceArray> {
    let dtype = a.dtype();
    let transcendental = matches!(op, UnaryOp::Exp | UnaryOp::Log | UnaryOp::Tanh);
    if dtype == Dtype::I32 || dtype == Dtype::F64 && transcendental {
        return Err(crate::error::Error::Type(format!(
            "{op:?} on the GPU takes float32{} tensors; got {} (WGSL has no float64 \
             exp, log or tanh)",
            if transcendental { "" } else { " or float64" },
            dtype.name()
        )));
    }
    let gpu = gpu_for_dtype(dtype)?;
    let out = DeviceArray::output(gpu, a.len(), dtype)?;
    if a.is_empty() {
        return Ok(out);
    }
    let grid = gpu.flat_grid(a.len(), 256);
    let u = UnaryUniform {
        len: a.len() as u32,
        op: op as u32,
        groups_x: grid[0],
        pad: 0,
    };
    let pipeline = gpu.pipeline(UNARY, "main", wgsl(dtype), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, a.buffer(), out.buffer()],
        grid,
    )?;
    Ok(out)
}

/// The int32 array `a` as a new float array of `dtype` (float32 or float64; exact up to 2^24 in
/// float32, as numpy's conversion).
pub fn int_to_float(a: &DeviceArray, dtype: Dtype) -> Result<DeviceArray> {
    a.expect_dtype(Dtype::I32, "the integer tensor")?;
    if dtype == Dtype::I32 {
        return Err(crate::error::Error::Type(
            "int_to_float converts to float32 or float64".into(),
        ));
    }
    convert(a, INT_TO_FLOAT, dtype, dtype)
}

/// The float array `a` (float32 or float64) as a new int32 array, truncated toward zero as
/// numpy's `astype(int)`; beyond int32's range the values saturate, NaN gives 0.
pub fn float_to_int(a: &DeviceArray) -> Result<DeviceArray> {
    if a.dtype() == Dtype::I32 {
        return Err(crate::error::Error::Type(
            "float_to_int converts float32 or float64".into(),
        ));
    }
    convert(a, FLOAT_TO_INT, Dtype::I32, a.dtype())
}

/// `a` through the conversion kernel `shader` (specialised for the float type `float`) into a
/// new array of `to`.
fn convert(a: &DeviceArray, shader: Shader, to: Dtype, float: Dtype) -> Result<DeviceArray> {
    let gpu = gpu_for_dtype(float)?;
    let out = DeviceArray::output(gpu, a.len(), to)?;
    if a.is_empty() {
        return Ok(out);
    }
    let grid = gpu.flat_grid(a.len(), 256);
    let u = [a.len() as u32, grid[0], 0, 0];
    let pipeline = gpu.pipeline(shader, "main", wgsl(float), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, a.buffer(), out.buffer()],
        grid,
    )?;
    Ok(out)
}

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
    b_len: u32,
    b_inner: u32,
    swap: u32,
    groups_x: u32,
    pad: [u32; 2],
}

/// `a op b` (or `b op a` with `swap`), a new array of `a`'s dtype; `b` is broadcast over `a`
/// viewed as `(outer, b.len(), inner)`: equal lengths with `inner` 1, a scalar (one element), or
/// a block of a's axes such as a per-channel vector.
pub fn binary(
    op: BinaryOp,
    a: &DeviceArray,
    b: &DeviceArray,
    inner: usize,
    swap: bool,
) -> Result<DeviceArray> {
    let dtype = a.dtype();
    if dtype == Dtype::I32 && op == BinaryOp::Div {
        return Err(crate::error::Error::Type(
            "true division of int GPU tensors gives floats: convert them with .float() first"
                .into(),
        ));
    }
    b.expect_dtype(dtype, "the second operand")?;
    let block = b.len() * inner.max(1);
    if !a.is_empty() && (b.is_empty() || !a.len().is_multiple_of(block)) {
        return value_error!(
            "GPU tensors of {} and {} elements (each repeated {inner} times) do not broadcast",
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
        b_len: b.len() as u32,
        b_inner: inner.max(1) as u32,
        swap: swap as u32,
        groups_x: grid[0],
        pad: [0; 2],
    };
    let pipeline = gpu.pipeline(ELEMENTWISE, "main", wgsl(dtype), &[])?;
    gpu.dispatch(
        &pipeline,
        &[&gpu.uniform(&u)?, a.buffer(), b.buffer(), out.buffer()],
        grid,
    )?;
    Ok(out)
}

/// `select.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct SelectUniform {
    len: u32,
    x_len: u32,
    y_len: u32,
    groups_x: u32,
}

/// numpy's `where(c, x, y)`: `x` where `c` is not 0, else `y`; `x` and `y` have `c`'s length or
/// one element. A new array of `c`'s dtype.
pub fn select(c: &DeviceArray, x: &DeviceArray, y: &DeviceArray) -> Result<DeviceArray> {
    let dtype = c.dtype();
    for (a, name) in [(x, "x"), (y, "y")] {
        a.expect_dtype(dtype, name)?;
        if a.len() != c.len() && a.len() != 1 {
            return value_error!(
                "where: {name} of {} elements does not broadcast to {} (equal sizes or one)",
                a.len(),
                c.len()
            );
        }
    }
    let gpu = gpu_for_dtype(dtype)?;
    let out = DeviceArray::output(gpu, c.len(), dtype)?;
    if c.is_empty() {
        return Ok(out);
    }
    let grid = gpu.flat_grid(c.len(), 256);
    let u = SelectUniform {
        len: c.len() as u32,
        x_len: x.len() as u32,
        y_len: y.len() as u32,
        groups_x: grid[0],
    };
    let pipeline = gpu.pipeline(SELECT, "main", wgsl(dtype), &[])?;
    let ubuf = gpu.uniform(&u)?;
    gpu.dispatch(
        &pipeline,
        &[&ubuf, c.buffer(), x.buffer(), y.buffer(), out.buffer()],
        grid,
    )?;
    Ok(out)
}

/// `dropout_mask.wgsl`'s `Params`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct DropoutUniform {
    len: u32,
    groups_x: u32,
    seed_lo: u32,
    seed_hi: u32,
    threshold: u32,
    pad: [u32; 3],
}

/// Dropout's mask of `len` elements: `1 / (1 - p)` where kept (probability `1 - p`), else 0,
/// from a counter-based hash of `seed` and the index; `0 <= p < 1`.
pub fn dropout_mask(len: usize, dtype: Dtype, p: f64, seed: u64) -> Result<DeviceArray> {
    if !(0.0..1.0).contains(&p) || dtype == Dtype::I32 {
        return value_error!("dropout's mask needs 0 <= p < 1 and a float dtype; got p={p}");
    }
    let gpu = gpu_for_dtype(dtype)?;
    let out = DeviceArray::output(gpu, len, dtype)?;
    if len == 0 {
        return Ok(out);
    }
    let scale = 1.0 / (1.0 - p);
    let sbuf = if dtype == Dtype::F64 {
        gpu.upload("scale", &[scale], 0)?
    } else {
        gpu.upload("scale", &[scale as f32], 0)?
    };
    let grid = gpu.flat_grid(len, 256);
    let u = DropoutUniform {
        len: len as u32,
        groups_x: grid[0],
        seed_lo: seed as u32,
        seed_hi: (seed >> 32) as u32,
        threshold: (p * 4294967296.0).min(4294967295.0) as u32,
        pad: [0; 3],
    };
    let pipeline = gpu.pipeline(DROPOUT_MASK, "main", wgsl(dtype), &[])?;
    gpu.dispatch(&pipeline, &[&gpu.uniform(&u)?, &sbuf, out.buffer()], grid)?;
    Ok(out)
}

/// The WGSL element type of a float dtype.
pub(crate) fn wgsl(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => "f32",
        Dtype::F64 => "f64",
        Dtype::I32 => "i32",
    }
}
