//! The process-wide GPU context: one wgpu instance, one adapter chosen once, its device and queue,
//! and a cache of compiled compute pipelines.
//!
//! The adapter is looked for on first use ([`get`]) and the answer is kept for the life of the
//! process: a machine with no adapter pays for the search once. `SIGCONV_DISABLE_GPU=1` in the
//! environment (read on that first use) hides every adapter, so the "no GPU" paths can be tested on
//! a machine that has one.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What the chosen adapter is, as `sigconv.devices()` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    /// The adapter's name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// `discrete`, `integrated`, `virtual`, `cpu` or `other`.
    pub kind: &'static str,
    /// `vulkan`, `metal`, `dx12`, ...
    pub backend: String,
    /// The driver and its version, as the adapter reports them.
    pub driver: String,
    /// Whether float64 kernels run (the adapter offers `SHADER_F64`).
    pub f64: bool,
    /// The largest storage-buffer binding, in bytes.
    pub max_binding_bytes: u64,
}

/// A compiled pipeline with the layout of its bind group 0.
pub struct Pipeline {
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// The layout of bind group 0 (derived from the shader).
    pub layout: wgpu::BindGroupLayout,
}

/// Pipelines are keyed by shader name, entry point and specialisation (element type and override
/// constants, written out as text).
type PipelineKey = (&'static str, &'static str, String);

/// The GPU: device, queue, what the adapter offers, and the pipeline cache.
pub struct Gpu {
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter, summarised.
    pub summary: AdapterSummary,
    /// The limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
    pipelines: Mutex<HashMap<PipelineKey, Arc<Pipeline>>>,
    /// Commands recorded but not yet submitted (see launch.rs).
    pub(crate) pending: Mutex<crate::gpu::launch::Pending>,
}

static CONTEXT: OnceLock<std::result::Result<Gpu, String>> = OnceLock::new();

/// The GPU context, created on first use; `Error::GpuUnavailable` when no adapter answers.
pub fn get() -> Result<&'static Gpu> {
    CONTEXT
        .get_or_init(create)
        .as_ref()
        .map_err(|why| Error::GpuUnavailable(why.clone()))
}

/// Whether a GPU adapter is usable (creates the context on first call).
pub fn available() -> bool {
    get().is_ok()
}

/// The backends sigconv asks wgpu for: the native compute APIs (no GL, no browser).
fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

fn kind_name(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// Preference order: a discrete GPU, then integrated, virtual, other, and a CPU adapter (llvmpipe)
/// last; lower is better.
fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn create() -> std::result::Result<Gpu, String> {
    if std::env::var("SIGCONV_DISABLE_GPU").is_ok_and(|v| !v.is_empty() && v != "0") {
        return Err(
            "device='gpu' was requested, but the GPU is disabled by SIGCONV_DISABLE_GPU".into(),
        );
    }
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backends(),
        flags: wgpu::InstanceFlags::empty(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = pollster::block_on(instance.enumerate_adapters(backends()));
    let adapter = adapters
        .into_iter()
        .min_by_key(|a| rank(a.get_info().device_type))
        .ok_or_else(|| {
            "device='gpu' was requested, but no GPU adapter (Vulkan, Metal or DX12) was found; \
             on Linux without a GPU, install Mesa's software driver (apt-get install \
             mesa-vulkan-drivers), or use device='cpu'"
                .to_string()
        })?;
    let info = adapter.get_info();
    let f64 = adapter.features().contains(wgpu::Features::SHADER_F64);
    let limits = adapter.limits();
    let required_features = if f64 {
        wgpu::Features::SHADER_F64
    } else {
        wgpu::Features::empty()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("sigconv"),
        required_features,
        required_limits: limits.clone(),
        memory_hints: wgpu::MemoryHints::Performance,
        ..Default::default()
    }))
    .map_err(|e| format!("the GPU adapter {:?} refused a device: {e}", info.name))?;
    // Errors are caught by error scopes around each launch (see launch.rs); anything that escapes
    // them must not panic the process.
    device.on_uncaptured_error(Arc::new(|e| {
        eprintln!("sigconv: uncaptured GPU error: {e}");
    }));
    let summary = AdapterSummary {
        name: info.name.clone(),
        kind: kind_name(info.device_type),
        backend: format!("{:?}", info.backend).to_lowercase(),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        f64,
        max_binding_bytes: limits.max_storage_buffer_binding_size,
    };
    Ok(Gpu {
        device,
        queue,
        summary,
        limits,
        pipelines: Mutex::new(HashMap::new()),
        pending: Mutex::new(Default::default()),
    })
}

/// A WGSL shader: one kernel per file under `rust/gpu/shaders/`.
///
/// Shaders compute in `T`, declared in the file as `alias T = f32;`; the float64 variant replaces
/// that line (see [`Gpu::pipeline`]).
#[derive(Debug, Clone, Copy)]
pub struct Shader {
    /// A short unique name (the file stem).
    pub name: &'static str,
    /// The WGSL source (`include_str!`).
    pub source: &'static str,
}

impl Gpu {
    /// The compiled pipeline of `shader`'s `entry` for element type `elem` (`"f32"` or `"f64"`),
    /// with WGSL `override` constants, compiled once and cached.
    pub fn pipeline(
        &self,
        shader: Shader,
        entry: &'static str,
        elem: &'static str,
        constants: &[(&str, f64)],
    ) -> Result<Arc<Pipeline>> {
        let spec = format!("{elem}{constants:?}");
        let key = (shader.name, entry, spec);
        let mut cache = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let source = if elem == "f32" {
            shader.source.to_string()
        } else {
            let line = "alias T = f32;";
            if !shader.source.contains(line) {
                return Err(Error::Gpu(format!(
                    "shader {} has no `{line}` line to specialise for {elem}",
                    shader.name
                )));
            }
            shader.source.replace(line, &format!("alias T = {elem};"))
        };
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader.name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(shader.name),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu(format!(
                "compiling GPU kernel {}::{entry} ({elem}) failed: {e}",
                shader.name
            )));
        }
        let layout = pipeline.get_bind_group_layout(0);
        let p = Arc::new(Pipeline { pipeline, layout });
        cache.insert(key, p.clone());
        Ok(p)
    }
}
