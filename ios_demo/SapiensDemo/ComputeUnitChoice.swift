import CoreML

/// Where Core ML may run the model; the manifest's `runtime.settings.compute_units` is the default.
enum ComputeUnitChoice: String, CaseIterable, Identifiable {
    case all = "All"
    case cpuAndGPU = "CPU+GPU"
    case cpuAndNeuralEngine = "CPU+ANE"

    var id: String { rawValue }

    var units: MLComputeUnits {
        switch self {
        case .all:
            return .all
        case .cpuAndGPU:
            return .cpuAndGPU
        case .cpuAndNeuralEngine:
            return .cpuAndNeuralEngine
        }
    }

    /// The manifest's spelling (coremltools' ComputeUnit names: ALL, CPU_AND_GPU, CPU_AND_NE).
    init(manifestValue: String) {
        switch manifestValue {
        case "CPU_AND_GPU":
            self = .cpuAndGPU
        case "CPU_AND_NE":
            self = .cpuAndNeuralEngine
        default:
            self = .all
        }
    }
}
