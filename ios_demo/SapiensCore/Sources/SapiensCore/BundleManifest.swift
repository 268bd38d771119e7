import Foundation

/// The parts of an SDK bundle's `manifest.json` the app reads: the model's contract and its labels.
///
/// Each JSON key is spelled out in a `CodingKeys` enum (one key per line): tests/test_ios_demo.py
/// reads these declarations and checks every key against what `sapiens2 compile --target coreml`
/// writes. Optional properties exist for one task only (pose or seg).
public struct BundleManifest: Decodable, Equatable {
    public let task: String
    public let target: String
    public let precision: String
    public let randomWeights: Bool
    public let runtime: RuntimeInfo
    public let export: ExportSettings
    public let inputs: [InputSpec]
    public let outputs: [OutputSpec]
    public let decoding: Decoding
    public let labels: Labels?

    enum CodingKeys: String, CodingKey {
        case task
        case target
        case precision
        case randomWeights = "random_weights"
        case runtime
        case export
        case inputs
        case outputs
        case decoding
        case labels
    }

    public struct RuntimeInfo: Decodable, Equatable {
        public let name: String
        public let settings: RuntimeSettings

        enum CodingKeys: String, CodingKey {
            case name
            case settings
        }
    }

    /// How the compile meant the model to be opened (the app lets the user override the compute units).
    public struct RuntimeSettings: Decodable, Equatable {
        public let computeUnits: String
        public let computePrecision: String
        public let minimumDeploymentTarget: String

        enum CodingKeys: String, CodingKey {
            case computeUnits = "compute_units"
            case computePrecision = "compute_precision"
            case minimumDeploymentTarget = "minimum_deployment_target"
        }
    }

    public struct ExportSettings: Decodable, Equatable {
        /// "none", "only" or "beside": whether the graph decodes (pose peaks, seg labels).
        public let decode: String
        public let inGraphPreprocess: Bool

        enum CodingKeys: String, CodingKey {
            case decode
            case inGraphPreprocess = "in_graph_preprocess"
        }
    }

    public struct InputSpec: Decodable, Equatable {
        public let name: String
        /// NHWC for Core ML bundles: [1, height, width, 3].
        public let shape: [Int]
        public let layout: String
        public let colorOrder: String
        public let normalization: Normalization
        public let resize: ResizePolicy

        enum CodingKeys: String, CodingKey {
            case name
            case shape
            case layout
            case colorOrder = "color_order"
            case normalization
            case resize
        }
    }

    public struct Normalization: Decodable, Equatable {
        public let mean: [Double]
        public let std: [Double]
        public let inGraph: Bool

        enum CodingKeys: String, CodingKey {
            case mean
            case std
            case inGraph = "in_graph"
        }
    }

    /// How a camera frame becomes the model input: "topdown_udp_crop" (pose) or "stretch" (seg).
    public struct ResizePolicy: Decodable, Equatable {
        public let policy: String
        public let boxPadding: Double?

        enum CodingKeys: String, CodingKey {
            case policy
            case boxPadding = "box_padding"
        }
    }

    public struct OutputSpec: Decodable, Equatable {
        public let name: String
        public let shape: [Int]
        public let dtype: String

        enum CodingKeys: String, CodingKey {
            case name
            case shape
            case dtype
        }
    }

    public struct Decoding: Decodable, Equatable {
        /// Pose: the codec's input size and heatmap size, [height, width].
        public let inputSize: [Int]?
        public let heatmapSize: [Int]?
        public let blurKernelSize: Int?
        /// Seg: the number of body-part classes.
        public let numClasses: Int?

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case heatmapSize = "heatmap_size"
            case blurKernelSize = "blur_kernel_size"
            case numClasses = "num_classes"
        }
    }

    public struct Labels: Decodable, Equatable {
        public let names: [String]
        /// Pose: one colour per keypoint; seg: the class palette.
        public let colorsRGB: [[Int]]
        public let skeletonLinks: [[Int]]?
        public let skeletonLinkColorsRGB: [[Int]]?

        enum CodingKeys: String, CodingKey {
            case names
            case colorsRGB = "colors_rgb"
            case skeletonLinks = "skeleton_links"
            case skeletonLinkColorsRGB = "skeleton_link_colors_rgb"
        }
    }
}

/// Why a bundle cannot drive the app, in words for the user.
public enum ManifestError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case wrongTarget(String)
    case unsupportedTask(String)
    case notAnImageModel
    case missingOutput(String)

    public var description: String {
        switch self {
        case .unreadable(let reason):
            return "manifest.json cannot be read: \(reason)"
        case .wrongTarget(let target):
            return "this bundle was compiled for \(target); compile it with sapiens2 compile --target coreml"
        case .unsupportedTask(let task):
            return "the demo shows pose and seg bundles, not \(task)"
        case .notAnImageModel:
            return "the model must take an NHWC RGB camera image normalised in the graph (sapiens2 compile --target coreml does)"
        case .missingOutput(let name):
            return "the model has no \(name) output: compile pose with --decode beside or only, seg with --decode only"
        }
    }
}

extension BundleManifest {
    /// Read and check a bundle's manifest.json.
    public static func load(from url: URL) throws -> BundleManifest {
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(contentsOf: url))
        } catch {
            throw ManifestError.unreadable(String(describing: error))
        }
        try manifest.checkForApp()
        return manifest
    }

    /// Refuse bundles the app cannot feed or read (wrong target, task, input or outputs).
    public func checkForApp() throws {
        guard target == "coreml" else { throw ManifestError.wrongTarget(target) }
        guard task == ModelIO.poseTask || task == ModelIO.segTask else { throw ManifestError.unsupportedTask(task) }
        guard let image = inputs.first(where: { $0.name == ModelIO.imageInput }),
              image.layout == "NHWC", image.colorOrder == "RGB", image.normalization.inGraph, image.shape.count == 4
        else { throw ManifestError.notAnImageModel }
        for name in requiredOutputs where output(named: name) == nil {
            throw ManifestError.missingOutput(name)
        }
    }

    /// The outputs the app reads for this task.
    public var requiredOutputs: [String] {
        task == ModelIO.poseTask ? [ModelIO.keypoints, ModelIO.scores] : [ModelIO.labels]
    }

    /// The camera image input (present once `checkForApp` passed).
    public var image: InputSpec {
        inputs.first(where: { $0.name == ModelIO.imageInput })!
    }

    /// Model input width and height in pixels.
    public var inputWidth: Int { image.shape[2] }
    public var inputHeight: Int { image.shape[1] }

    public func output(named name: String) -> OutputSpec? {
        outputs.first(where: { $0.name == name })
    }
}
